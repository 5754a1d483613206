package tern.common.qmp;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import tern.common.stats.Json;

/**
 * QMP control of a migration whose stream Tern relays: the source's parameters (only Tern limits
 * the link, Tern's downtime limit governs the switchover), force and abort, the destination's
 * listening and continue, and QEMU's own timestamps of the guest's STOP and RESUME, whose
 * difference is the guest's downtime (QEMU's "downtime" behind a relay ends when the local socket
 * took the last byte, so it is not).
 */
public final class StreamMigration {
    /**
     * max-bandwidth for the stream path, 1 TiB/s: QEMU's limit counts stream bytes before Tern
     * drops any, so it must never be the one that throttles.
     */
    public static final long UNLIMITED_BANDWIDTH = 1L << 40;
    /** QEMU's MAX_MIGRATE_DOWNTIME (7.2 migration.c:78). */
    public static final long MAX_DOWNTIME_LIMIT_MS = 2_000_000;

    /** How the source's migration ended: QEMU's status, its error, its STOP timestamp (null: no STOP seen) and query-migrate. */
    public record SourceOutcome(String status, String error, Long stoppedEpochMicros, Map<String, Object> info) {
        public boolean completed() {
            return "completed".equals(status);
        }
    }

    private StreamMigration() {
    }

    /** Sets the source for a relayed migration: events on, max-bandwidth unlimited, downtime-limit Tern's. */
    public static void prepareSource(QmpClient qmp, long downtimeLimitMs) throws IOException, InterruptedException {
        QemuMigration.setCapabilities(qmp, true, "events");
        takeSwitchover(qmp, downtimeLimitMs);
    }

    /**
     * max-bandwidth unlimited and downtime-limit Tern's; applies to a migration under way too (one
     * someone else started sets its own parameters as it starts, and capabilities no longer change then).
     */
    public static void takeSwitchover(QmpClient qmp, long downtimeLimitMs) throws IOException, InterruptedException {
        checkDowntime(downtimeLimitMs);
        qmp.execute("migrate-set-parameters", Json.object().put("max-bandwidth", UNLIMITED_BANDWIDTH)
                .put("downtime-limit", downtimeLimitMs));
    }

    /**
     * Changes downtime-limit while the migration runs (QEMU applies it at its next estimate): raising
     * it is how Tern forces a switchover that its own estimate says is due.
     */
    public static void setDowntimeLimit(QmpClient qmp, long downtimeLimitMs) throws IOException, InterruptedException {
        checkDowntime(downtimeLimitMs);
        qmp.execute("migrate-set-parameters", Json.object().put("downtime-limit", downtimeLimitMs));
    }

    private static void checkDowntime(long ms) {
        if (ms < 0 || ms > MAX_DOWNTIME_LIMIT_MS) {
            throw new IllegalArgumentException("downtime limit " + ms + " ms outside QEMU's 0.." + MAX_DOWNTIME_LIMIT_MS + " ms");
        }
    }

    /** Starts the source's migration into {@code uri} (Tern's private socket, e.g. unix:PATH). */
    public static void migrate(QmpClient qmp, String uri) throws IOException, InterruptedException {
        qmp.execute("migrate", Json.object().put("uri", uri));
    }

    /** Abort: migrate_cancel; QEMU resumes the guest itself if it had stopped it for the switchover. */
    public static void cancel(QmpClient qmp) throws IOException, InterruptedException {
        qmp.execute("migrate_cancel");
    }

    /**
     * Waits for the source's migration to end, keeping QEMU's STOP timestamp on the way (the
     * events come in the order STOP, MIGRATION completed). "completed" here means the relay's
     * socket took the last byte, not that the destination has it.
     */
    @SuppressWarnings("unchecked")
    public static SourceOutcome awaitSourceEnd(QmpClient qmp, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Long stopped = null;
        String status = null;
        while (status == null) {
            long left = deadline - System.nanoTime();
            QmpEvent e = left <= 0 ? null : qmp.awaitEvent(ev -> ev.name().equals("STOP") || isFinalMigration(ev),
                    Duration.ofNanos(left));
            if (e == null) {
                break;
            }
            if (e.name().equals("STOP")) {
                stopped = e.epochMicros();
            } else {
                status = e.dataString("status");
            }
        }
        Map<String, Object> info = (Map<String, Object>) qmp.execute("query-migrate");
        Object err = info.get("error-desc");
        return new SourceOutcome(status, err == null ? null : err.toString(), stopped, info);
    }

    /** Has a destination started with {@code -incoming defer} listen at {@code uri}, with MIGRATION events on. */
    public static void listen(QmpClient qmp, String uri) throws IOException, InterruptedException {
        QemuMigration.setCapabilities(qmp, true, "events");
        qmp.execute("migrate-incoming", Json.object().put("uri", uri));
    }

    private static boolean isFinalMigration(QmpEvent e) {
        if (!e.name().equals("MIGRATION")) {
            return false;
        }
        String s = e.dataString("status");
        return "completed".equals(s) || "failed".equals(s) || "cancelled".equals(s);
    }
}
