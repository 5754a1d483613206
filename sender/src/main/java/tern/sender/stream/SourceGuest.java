package tern.sender.stream;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.QmpEvent;
import tern.common.qmp.StreamMigration;
import tern.common.stats.Json;

/**
 * The source guest's side of "never two running copies, never none" (docs/design.md, invariant 4
 * of the QEMU stream mode): after a failure before the destination ran, QEMU's migration is ended
 * and the guest runs on, continued by Tern if QEMU left it paused (a migration that failed after
 * QEMU stopped the guest restarts it itself; one that QEMU saw complete leaves it in postmigrate);
 * after success it is quit or left paused. The migration parameters Tern changed are put back on
 * a guest that runs on, so a later plain QEMU migration of it is QEMU's own again.
 */
final class SourceGuest {
    private static final Duration END_WAIT = Duration.ofSeconds(10);
    private static final List<String> FINAL = List.of("none", "completed", "failed", "cancelled");
    private final QmpClient qmp;
    private final Json originalParameters;

    /** @param parameters the source's migration parameters before Tern set its own (query-migrate-parameters) */
    SourceGuest(QmpClient qmp, Map<String, Object> parameters) {
        this.qmp = qmp;
        this.originalParameters = Json.object();
        for (String p : List.of("max-bandwidth", "downtime-limit", "avail-switchover-bandwidth")) {
            if (parameters.get(p) instanceof Number n) {
                originalParameters.put(p, n.longValue());
            }
        }
    }

    /**
     * Ends QEMU's migration if it still runs, makes sure the guest runs, and puts the parameters
     * back. Returns what became of the guest, for the one line the failure prints.
     */
    String runOn() {
        try {
            String status = status();
            if (!FINAL.contains(status)) {
                try {
                    StreamMigration.cancel(qmp);
                } catch (IOException e) {
                    // it ended meanwhile: the wait below sees its final status
                }
                long deadline = System.nanoTime() + END_WAIT.toNanos();
                while (!FINAL.contains(status = status()) && System.nanoTime() < deadline) {
                    QmpEvent ignored = qmp.awaitEvent(e -> e.name().equals("MIGRATION"), Duration.ofMillis(200));
                }
            }
            restoreParameters();
            String run = runState();
            if ("running".equals(run)) {
                return "the source guest runs on";
            }
            qmp.execute("cont");
            return "the source guest was continued (QEMU had left it " + run + ")";
        } catch (IOException e) {
            return "the source guest's state is unknown (QMP: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "the source guest's state is unknown (interrupted)";
        }
    }

    /** After a verified hand-over: --after-success kill. */
    void quit() throws IOException, InterruptedException {
        try {
            qmp.execute("quit");
        } catch (IOException e) {
            if (!e.getMessage().contains("closed")) {
                throw e;
            }
            // QEMU may close the socket before its reply: it quit
        }
    }

    /** QEMU's run state (running, paused, postmigrate, ...). */
    @SuppressWarnings("unchecked")
    String runState() throws IOException, InterruptedException {
        return String.valueOf(((Map<String, Object>) qmp.execute("query-status")).get("status"));
    }

    private String status() throws IOException, InterruptedException {
        Object s = QemuMigration.queryMigrate(qmp).get("status");
        return s == null ? "none" : s.toString();
    }

    private void restoreParameters() throws IOException, InterruptedException {
        if (!originalParameters.toString().equals("{}")) {
            qmp.execute("migrate-set-parameters", originalParameters);
        }
    }
}
