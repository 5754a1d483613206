package tern.sender.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tern.common.stats.IterationStats;
import tern.common.stats.Json;
import tern.common.stats.MigrationSummary;
import tern.common.stats.StatsWriter;
import tern.sender.engine.EngineListener;
import tern.sender.engine.EngineProgress;

/**
 * --stats PATH on the sender: JSON lines, one per iteration written as the iteration ends, then
 * exactly one {@code "type":"summary"} (docs/figures.md), then whatever follows the migration (a
 * hand-off). The summary is written once, by whoever comes first: the engine's end (verified or
 * failed, with the iteration a failure cut short as an unfinished line), or {@link #interrupted}
 * from another thread while the engine still runs. Either way its totals are the sums of the
 * iteration lines above it ({@link MigrationSummary#of}).
 */
final class StatsFile implements EngineListener {
    private final StatsWriter out;
    private final String migrationId;
    private final List<IterationStats> written = new ArrayList<>();
    private EngineProgress progress;
    private boolean summarized;

    private StatsFile(StatsWriter out, String migrationId) {
        this.out = out;
        this.migrationId = migrationId;
    }

    /** Creates (or empties) {@code path} now: an unwritable path is refused before the migration starts. */
    static StatsFile create(Path path, String migrationId) {
        return new StatsFile(StatsWriter.create(path), migrationId);
    }

    /** The engine whose figures {@link #interrupted} reads. */
    synchronized void follow(EngineProgress p) {
        progress = p;
    }

    @Override
    public synchronized void iterationDone(IterationStats s) {
        if (!summarized) {
            written.add(s);
            out.write(s.toJson(), migrationId);
        }
    }

    /** The migration's summary, from the engine: written unless a summary already was. */
    synchronized void summary(MigrationSummary s) {
        if (!summarized) {
            summarized = true;
            out.write(s.toJson(), migrationId);
        }
    }

    /**
     * The migration was interrupted while the engine runs (a signal): the iteration in progress
     * as of its last batch, as an unfinished line, then a summary with {@code verified: false} and
     * {@code reason} as its error. Nothing when a summary was written already. Any thread.
     */
    synchronized void interrupted(String reason) {
        if (summarized) {
            return;
        }
        MigrationSummary.Facts facts = progress == null ? MigrationSummary.facts() : progress.facts();
        IterationStats open = progress == null ? null : progress.openIteration();
        int last = written.isEmpty() ? 0 : written.get(written.size() - 1).iteration();
        // the engine may have ended this iteration (its line written) without having cleared it yet
        if (open != null && open.iteration() > last) {
            iterationDone(open);
        }
        summary(MigrationSummary.of(written, facts.error(reason)));
    }

    /** A line after the summary (the hand-off's), stamped like the others. */
    synchronized void line(Json j) {
        out.write(j, migrationId);
    }

    void close() throws IOException {
        out.close();
    }
}
