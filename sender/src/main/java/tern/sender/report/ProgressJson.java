package tern.sender.report;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import tern.common.stats.Json;
import tern.common.stats.StatsWriter;
import tern.sender.engine.EngineProgress;

/**
 * --progress json: one JSON line a second on stderr with the fields of QEMU's query-migrate that
 * apply (docs/usage.md, "Following a migration"), then one last line with the final status. A
 * timer thread of its own reads what the engine publishes ({@link EngineProgress}); the page path
 * never waits for it.
 */
final class ProgressJson {
    private final PrintStream out;
    private final EngineProgress progress;
    private final String migrationId;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tern-progress");
        t.setDaemon(true);
        return t;
    });
    private long lastBytes;
    private long lastNanos = System.nanoTime();
    private boolean finished;

    private ProgressJson(PrintStream out, EngineProgress progress, String migrationId) {
        this.out = out;
        this.progress = progress;
        this.migrationId = migrationId;
    }

    /** Starts the timer: a line now, then one a second. */
    static ProgressJson start(PrintStream out, EngineProgress progress, String migrationId) {
        ProgressJson p = new ProgressJson(out, progress, migrationId);
        p.timer.scheduleAtFixedRate(() -> p.print(null), 0, 1, TimeUnit.SECONDS);
        return p;
    }

    /** Stops the timer and prints the last line, with {@code status}; once, from any thread. */
    void finish(EngineProgress.Status status) {
        timer.shutdown();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        print(status);
    }

    /** One line: the engine's status unless {@code finalStatus} ends the run. */
    private synchronized void print(EngineProgress.Status finalStatus) {
        if (finished) {
            return;
        }
        finished = finalStatus != null;
        long now = System.nanoTime();
        long bytes = progress.transferredBytes();
        double seconds = (now - lastNanos) / 1e9;
        // mbps as QEMU's: megabits per second, here over the last interval
        Double mbps = seconds > 0 ? (bytes - lastBytes) * 8 / 1e6 / seconds : null;
        lastBytes = bytes;
        lastNanos = now;
        EngineProgress.Status status = finalStatus != null ? finalStatus : progress.status();
        out.println(line(progress, status, mbps, migrationId));
        out.flush();
    }

    /** The line's keys, in this order (docs/usage.md). */
    static String line(EngineProgress p, EngineProgress.Status status, Double mbps, String migrationId) {
        return StatsWriter.stamped(Json.object()
                .put("type", "progress")
                .put("status", status.jsonName())
                .put("iteration", p.iteration())
                .put("phase", p.phase())
                .put("total_time_ms", p.elapsedMillis())
                .put("transferred", p.transferredBytes())
                .put("remaining", p.remainingBytes())
                .put("total", p.totalBytes())
                .put("dirty_pages_rate", p.dirtyRate())
                .put("expected_downtime_ms", p.expectedDowntimeMillis())
                .put("mbps", mbps), migrationId).toString();
    }
}
