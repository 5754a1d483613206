package tern.common.qmp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tern.common.stats.Json;

/**
 * The QMP steps both ends of a QEMU hand-off take: checking that a guest's RAM is the shared file
 * Tern moves, setting migration capabilities, and waiting for QEMU's own migration to end.
 */
public final class QemuMigration {
    /** What QEMU's migration ended in: completed, failed or cancelled, with QEMU's error text. */
    public record Outcome(String status, String error, Map<String, Object> info) {
        public boolean completed() {
            return "completed".equals(status);
        }
    }

    private QemuMigration() {
    }

    /**
     * Fails unless the guest behind {@code qmp} has a memory-backend-file whose mem-path is
     * {@code ramFile} with share=on: only then are Tern's pages the guest's RAM, and only then does
     * x-ignore-shared leave that RAM to Tern.
     */
    public static void requireSharedRam(QmpClient qmp, Path ramFile) throws IOException, InterruptedException {
        List<String> seen = new ArrayList<>();
        for (Object o : (List<?>) qmp.execute("qom-list", Json.object().put("path", "/objects"))) {
            Map<?, ?> child = (Map<?, ?>) o;
            if (!"child<memory-backend-file>".equals(child.get("type"))) {
                continue;
            }
            String path = "/objects/" + child.get("name");
            String memPath = String.valueOf(qmp.execute("qom-get", Json.object().put("path", path).put("property", "mem-path")));
            boolean share = Boolean.TRUE.equals(qmp.execute("qom-get", Json.object().put("path", path).put("property", "share")));
            if (sameFile(memPath, ramFile)) {
                if (!share) {
                    throw new IOException("QEMU at " + qmp.socket() + ": memory backend " + child.get("name") + " maps "
                            + ramFile + " with share=off; Tern needs share=on (the guest's stores must reach the file)");
                }
                return;
            }
            seen.add(child.get("name") + "=" + memPath);
        }
        throw new IOException("QEMU at " + qmp.socket() + " has no memory-backend-file with mem-path=" + ramFile
                + (seen.isEmpty() ? " (it has no memory-backend-file at all)" : " (it has " + String.join(", ", seen) + ")"));
    }

    private static boolean sameFile(String memPath, Path ramFile) {
        try {
            return Files.isSameFile(Path.of(memPath), ramFile);
        } catch (IOException e) {
            return false;
        }
    }

    /** Fails unless QEMU knows the migration capability {@code name}. */
    public static void requireCapability(QmpClient qmp, String name) throws IOException, InterruptedException {
        for (Object o : (List<?>) qmp.execute("query-migrate-capabilities")) {
            if (o instanceof Map<?, ?> m && name.equals(m.get("capability"))) {
                return;
            }
        }
        throw new IOException("QEMU at " + qmp.socket() + " has no migration capability " + name
                + " (QEMU 4.0 or later has it)");
    }

    /** migrate-set-capabilities with each name set to {@code on}. */
    public static void setCapabilities(QmpClient qmp, boolean on, String... names) throws IOException, InterruptedException {
        List<Json> caps = new ArrayList<>();
        for (String n : names) {
            caps.add(Json.object().put("capability", n).put("state", on));
        }
        qmp.execute("migrate-set-capabilities", Json.object().put("capabilities", caps));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> queryMigrate(QmpClient qmp) throws IOException, InterruptedException {
        return (Map<String, Object>) qmp.execute("query-migrate");
    }

    /**
     * Waits for a MIGRATION event (the "events" capability must be on) with a final status, then
     * returns query-migrate's view; null status when {@code timeout} passed first.
     */
    public static Outcome awaitEnd(QmpClient qmp, Duration timeout) throws IOException, InterruptedException {
        QmpEvent e = qmp.awaitEvent(ev -> ev.name().equals("MIGRATION") && isFinal(ev.dataString("status")), timeout);
        Map<String, Object> info = queryMigrate(qmp);
        Object err = info.get("error-desc");
        return new Outcome(e == null ? null : e.dataString("status"), err == null ? null : err.toString(), info);
    }

    /**
     * A destination's side of the end: waits for its incoming migration to end.
     *
     * @param what what the destination was loading, for the error ("the stream", "the device state")
     * @throws IOException naming QEMU's status and error when the load failed or did not end within {@code timeout}
     */
    public static void awaitIncoming(QmpClient qmp, Duration timeout, String what) throws IOException, InterruptedException {
        Outcome o = awaitEnd(qmp, timeout);
        if (!o.completed()) {
            throw new IOException("destination QEMU at " + qmp.socket() + " did not load " + what + ": "
                    + (o.status() == null ? "no end within " + timeout.toSeconds() + " s" : o.status())
                    + (o.error() != null ? ": " + o.error() : ""));
        }
    }

    /** Continues the guest; returns QEMU's RESUME timestamp (null if no RESUME came within 5 s of cont). */
    public static Long continueGuest(QmpClient qmp) throws IOException, InterruptedException {
        qmp.execute("cont");
        QmpEvent resume = qmp.awaitEvent(e -> e.name().equals("RESUME"), Duration.ofSeconds(5));
        return resume == null ? null : resume.epochMicros();
    }

    /**
     * Leaves the guest behind {@code qmp} running unless its device state reached a destination:
     * the hand-off's rollback, and what --resume-source does after a sender was killed. A QEMU
     * migration still under way is cancelled and its end awaited; if it completed anyway, the
     * destination has the guest and this one stays paused (two running copies are what a
     * migration must never cause). Otherwise x-ignore-shared is cleared (left on, a later plain
     * migration would skip the RAM) and a paused guest is continued.
     *
     * @return what became of the guest, for a person ("was continued", "runs on", "is left paused: ...")
     */
    public static String continueSource(QmpClient qmp, Duration timeout) throws IOException, InterruptedException {
        String status = migrationStatus(qmp);
        if (!isFinal(status) && !"none".equals(status)) {
            qmp.execute("migrate_cancel");
            long deadline = System.nanoTime() + timeout.toNanos();
            // Polled, not awaited as an event: the thread running the hand-off may be consuming
            // the MIGRATION events (it awaits the migration's end too).
            while (!isFinal(status = migrationStatus(qmp))) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("QEMU at " + qmp.socket() + ": its migration is still " + status + " "
                            + timeout.toSeconds() + " s after migrate_cancel; the guest is left paused");
                }
                Thread.sleep(10);
            }
        }
        if ("completed".equals(status)) {
            return "is left paused: its device state reached the destination QEMU (its migration completed)";
        }
        if (capabilityOn(qmp, "x-ignore-shared")) {
            setCapabilities(qmp, false, "x-ignore-shared");
        }
        @SuppressWarnings("unchecked")
        Object running = ((Map<String, Object>) qmp.execute("query-status")).get("running");
        if (Boolean.TRUE.equals(running)) {
            return "runs on";
        }
        qmp.execute("cont");
        return "was continued";
    }

    /** query-migrate's status: "none" when no migration ever ran. */
    private static String migrationStatus(QmpClient qmp) throws IOException, InterruptedException {
        Object s = queryMigrate(qmp).get("status");
        return s == null ? "none" : s.toString();
    }

    private static boolean capabilityOn(QmpClient qmp, String name) throws IOException, InterruptedException {
        for (Object o : (List<?>) qmp.execute("query-migrate-capabilities")) {
            if (o instanceof Map<?, ?> m && name.equals(m.get("capability"))) {
                return Boolean.TRUE.equals(m.get("state"));
            }
        }
        return false;
    }

    private static boolean isFinal(String status) {
        return "completed".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }
}
