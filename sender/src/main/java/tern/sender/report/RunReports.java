package tern.sender.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import tern.common.stats.IterationStats;
import tern.common.stats.Json;
import tern.sender.engine.EngineListener;
import tern.sender.engine.EngineProgress;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.MigrationResult;

/**
 * Everything tern-sender reports about one migration, behind one listener: the stdout report
 * ({@link ProgressLine}, the table at the end), --stats ({@link StatsFile}) and --progress json
 * ({@link ProgressJson}). The run ends here exactly once, however it ends: {@link #succeeded},
 * {@link #failed}, or {@link #interrupted} from a shutdown hook while the engine still runs; a
 * later end is a no-op.
 */
public final class RunReports implements EngineListener, AutoCloseable {
    /** --progress: line (the status line on stdout), json (one JSON line a second on stderr), none. */
    public enum Progress { LINE, JSON, NONE }

    private final PrintStream out;
    private final PrintStream err;
    private final boolean quiet;
    private final Progress progressMode;
    private final ProgressLine line;
    private final StatsFile stats;
    private final String migrationId;
    private EngineProgress progress;
    private ProgressJson json;
    private boolean ended;

    private RunReports(PrintStream out, PrintStream err, boolean quiet, Progress progressMode, StatsFile stats,
                       String migrationId) {
        this.migrationId = migrationId;
        this.out = out;
        this.err = err;
        this.quiet = quiet;
        this.progressMode = progressMode;
        this.stats = stats;
        boolean terminal = System.console() != null;
        this.line = quiet ? null : new ProgressLine(out, terminal, progressMode == Progress.LINE);
    }

    /**
     * The reports of migration {@code migrationId} (the engine's, EngineConfig.migrationId, named in
     * every JSON line); {@code statsPath} (or null) is created now.
     *
     * @param quiet    nothing on stdout
     * @param progress null: a status line when stdout is a terminal, else none
     */
    public static RunReports create(PrintStream out, PrintStream err, boolean quiet, Progress progress, Path statsPath,
                                    String migrationId) {
        Progress p = progress != null ? progress : System.console() != null ? Progress.LINE : Progress.NONE;
        return new RunReports(out, err, quiet, p, statsPath == null ? null : StatsFile.create(statsPath, migrationId),
                migrationId);
    }

    /** The engine is built: its progress is followed from now on. */
    public synchronized void follow(EngineProgress p) {
        progress = p;
        if (stats != null) {
            stats.follow(p);
        }
        if (progressMode == Progress.JSON && !ended) {
            json = ProgressJson.start(err, p, migrationId);
        }
    }

    public void succeeded(MigrationResult r) {
        if (end(EngineProgress.Status.COMPLETED)) {
            if (stats != null) {
                stats.summary(r.summary());
            }
            if (!quiet) {
                StatsTable.print(out, r.iterations(), r.summary());
            }
        }
    }

    /** The migration failed: the engine's partial figures when it ran, else a summary of nothing done, with the error. */
    public void failed(Exception e) {
        EngineProgress p;
        synchronized (this) {
            p = progress;
        }
        EngineProgress.Status status = p != null && p.status() == EngineProgress.Status.CANCELLED
                ? EngineProgress.Status.CANCELLED : EngineProgress.Status.FAILED;
        if (end(status) && stats != null) {
            if (e instanceof MigrationFailure f && f.partial() != null) {
                stats.summary(f.partial().summary());
            } else {
                stats.interrupted(e.getMessage() != null ? e.getMessage() : e.toString());
            }
        }
    }

    /**
     * The migration was interrupted ({@code reason}: "SIGTERM", say) while the engine may still
     * run: the stats file ends with a summary saying so ({@code verified: false}, the reason as
     * its error), the progress with status cancelled. For a shutdown hook: any thread, once; after
     * any other end, nothing.
     */
    public void interrupted(String reason) {
        if (end(EngineProgress.Status.CANCELLED) && stats != null) {
            stats.interrupted(reason);
        }
    }

    /** Ends the live parts once; false when the run had ended already. */
    private synchronized boolean end(EngineProgress.Status status) {
        if (ended) {
            return false;
        }
        ended = true;
        if (json != null) {
            json.finish(status);
        }
        return true;
    }

    /** Ends the status line, for a last line of the sender's own (the shutdown hook's); any thread. */
    public void endLine() {
        if (line != null) {
            line.endLine();
        }
    }

    /** A stats line after the summary (the hand-off). */
    public void statsLine(Json j) {
        if (stats != null) {
            stats.line(j);
        }
    }

    /** Closes the stats file; throws what made a write fail, if one did. */
    @Override
    public void close() throws IOException {
        if (stats != null) {
            stats.close();
        }
    }

    // ---------------------------------------------------------------- the engine's events, on its thread

    @Override
    public void beforePass(int iteration, String phase) {
        if (line != null) {
            line.beforePass(iteration, phase);
        }
    }

    @Override
    public void batchSent(int iteration, long pagesSent, long pagesSkipped, long pagesDirty, long wireBytes) {
        if (line != null) {
            line.batchSent(iteration, pagesSent, pagesSkipped, pagesDirty, wireBytes);
        }
    }

    @Override
    public void iterationDone(IterationStats s) {
        if (stats != null) {
            stats.iterationDone(s);
        }
        if (line != null) {
            line.iterationDone(s);
        }
    }

    @Override
    public void message(String text) {
        if (line != null) {
            line.message(text);
        }
    }
}
