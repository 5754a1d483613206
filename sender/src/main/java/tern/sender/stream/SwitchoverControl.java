package tern.sender.stream;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.QmpEvent;
import tern.common.qmp.StreamMigration;
import tern.common.stats.Json;
import tern.common.units.ByteSize;
import tern.sender.engine.EngineListener;
import tern.sender.transport.WireMeter;

/**
 * Governs the source QEMU's switchover from its own thread, the only one that talks QMP while the
 * stream flows (QmpClient takes one caller at a time). QEMU decides to switch over when its
 * remaining dirty bytes fit its bandwidth estimate × downtime-limit; behind a relay that estimate
 * is noisy (a window of held pages drains at CPU speed), so QEMU's downtime-limit is held at
 * {@link #HOLD_MS} (0 would make QEMU 7.2 complete after its first pass: it syncs its dirty log
 * only when what remains is below the threshold) and Tern decides instead, at each of QEMU's
 * dirty-log syncs ({@link SwitchoverRule}): when its own estimate fits, it raises QEMU's limit so
 * that QEMU switches over at its next check (7.2: to QEMU's maximum; 10.x: to Tern's limit, with
 * avail-switchover-bandwidth set to the rate the relay drains QEMU's stream at, which makes QEMU's
 * own check Tern's rule). At --max-time or --max-iterations without converging: force raises the
 * limit to the maximum; abort runs migrate_cancel, and the guest runs on.
 *
 * <p>It posts each pass to the relay's {@link PassFigures}, keeps QEMU's STOP timestamp, and ends
 * with QEMU's final MIGRATION status (or when {@link #stop}ped).
 */
final class SwitchoverControl implements Runnable {
    static final long HOLD_MS = 1;
    private static final java.time.Duration POLL = java.time.Duration.ofMillis(100);
    private static final Set<String> EVENTS = Set.of("MIGRATION_PASS", "STOP", "MIGRATION");
    /** Wire time a bandwidth measurement needs before it replaces the last one. */
    private static final long MIN_BUSY_NANOS = 20_000_000L;

    /** How the switchover came about. */
    enum Switchover { NONE, CONVERGED, QEMU, FORCED, ABORTED }

    private final QmpClient qmp;
    private final SwitchoverRule rule;
    private final PassFigures figures;
    private final WireMeter meter;
    private final long backlogBytes;
    private final boolean availSwitchoverBandwidth;
    private final EngineListener listener;
    private final long startNanos = System.nanoTime();
    private volatile boolean stop;
    private volatile Long stoppedEpochMicros;
    private volatile String finalStatus;
    private volatile Switchover switchover = Switchover.NONE;
    private volatile String abortReason;
    private volatile Map<String, Object> finalInfo;
    private volatile Exception failure;
    private boolean converging;
    private int lastPass = 1;
    private long lastRecords;
    private long lastHeld;
    private long lastBusy;
    private long lastWire;
    private double bandwidth;
    private Double dirtyRate;

    /**
     * @param backlogBytes what lies between QEMU and the link at any time (the relay's unsent budget, the socket's kernel buffer)
     * @param availSwitchoverBandwidth the source QEMU has the parameter (8.2+)
     */
    SwitchoverControl(QmpClient qmp, SwitchoverRule rule, PassFigures figures, WireMeter meter, long backlogBytes,
                      boolean availSwitchoverBandwidth, EngineListener listener) {
        this.qmp = qmp;
        this.rule = rule;
        this.figures = figures;
        this.meter = meter;
        this.backlogBytes = backlogBytes;
        this.availSwitchoverBandwidth = availSwitchoverBandwidth;
        this.listener = listener;
    }

    @Override
    public void run() {
        try {
            while (!stop) {
                QmpEvent e = qmp.awaitEvent(ev -> EVENTS.contains(ev.name()), POLL);
                long now = System.nanoTime();
                if (e == null) {
                    if (stoppedEpochMicros == null && !decided()) {
                        act(rule.bounds(lastPass - 1, now - startNanos), null);
                    }
                    continue;
                }
                switch (e.name()) {
                    case "STOP" -> {
                        stoppedEpochMicros = e.epochMicros();
                        figures.guestStopped();
                    }
                    case "MIGRATION_PASS" -> {
                        // after STOP the pass is the final sync, inside QEMU's completion: QMP would
                        // wait for it, and nothing is left to decide
                        if (stoppedEpochMicros == null && e.data().get("pass") instanceof Number n) {
                            onPass(n.intValue(), now);
                        }
                    }
                    default -> {
                        String status = e.dataString("status");
                        if ("completed".equals(status) || "failed".equals(status) || "cancelled".equals(status)) {
                            finalStatus = status;
                            if (switchover == Switchover.NONE && "completed".equals(status)) {
                                switchover = Switchover.QEMU;
                            }
                            finalInfo = QemuMigration.queryMigrate(qmp);
                            return;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean decided() {
        Switchover s = switchover;
        return s == Switchover.FORCED || s == Switchover.ABORTED;
    }

    /** QEMU synced its dirty log and begins pass {@code pass}. */
    @SuppressWarnings("unchecked")
    private void onPass(int pass, long now) throws IOException, InterruptedException {
        // posted before the query, which waits while QEMU holds its lock (its completion may have begun);
        // the dirty rate posted is the one QEMU reported at the pass before
        figures.announce(pass, dirtyRate);
        lastPass = pass;
        Map<String, Object> ram = QemuMigration.queryMigrate(qmp).get("ram") instanceof Map<?, ?> m
                ? (Map<String, Object>) m : Map.of();
        dirtyRate = ram.get("dirty-pages-rate") instanceof Number n ? n.doubleValue() : null;
        long records = figures.publishedRecords();
        long held = figures.publishedHeld();
        long busy = figures.publishedBusyNanos();
        long wire = meter.outbound();
        double share = records > lastRecords ? (double) (held - lastHeld) / (records - lastRecords) : 0;
        if (busy - lastBusy >= MIN_BUSY_NANOS) {
            bandwidth = (wire - lastWire) * 1e9 / (busy - lastBusy);
            lastBusy = busy;
            lastWire = wire;
        }
        lastRecords = records;
        lastHeld = held;
        if (pass < 2 || decided() || converging) {
            if (converging && !decided()) {
                act(rule.bounds(pass - 1, now - startNanos), null);
            }
            return;
        }
        long remaining = ram.get("remaining") instanceof Number r ? r.longValue() : 0;
        SwitchoverRule.Estimate est = new SwitchoverRule.Estimate(remaining, share, bandwidth, backlogBytes);
        act(rule.atPass(pass, est, now - startNanos), est);
    }

    private void act(SwitchoverRule.Decision d, SwitchoverRule.Estimate est) throws IOException, InterruptedException {
        switch (d) {
            case CONTINUE -> {
            }
            case CONVERGED -> {
                converging = true;
                switchover = Switchover.CONVERGED;
                long limitMs = Math.max(HOLD_MS, rule.downtimeLimit().toMillis());
                if (availSwitchoverBandwidth) {
                    // the rate QEMU's stream drains at through the relay: held pages cost no wire time
                    double drain = est.wireBytesPerSecond() / Math.max(1e-6, 1 - est.heldShare());
                    long avail = (long) Math.min(StreamMigration.UNLIMITED_BANDWIDTH, Math.max(1, drain));
                    qmp.execute("migrate-set-parameters", Json.object().put("avail-switchover-bandwidth", avail)
                            .put("downtime-limit", limitMs));
                } else {
                    StreamMigration.setDowntimeLimit(qmp, StreamMigration.MAX_DOWNTIME_LIMIT_MS);
                }
                listener.message(String.format(Locale.ROOT, "converged at QEMU's pass %d: %s to send (%s dirty, %.0f%% held"
                                + " in the last pass) in ~%.0f ms at %s/s; switching over", lastPass,
                        ByteSize.format((long) est.bytesToSend()), ByteSize.format(est.remainingBytes()),
                        100 * est.heldShare(), est.seconds() * 1000, ByteSize.format((long) est.wireBytesPerSecond())));
            }
            case FORCE -> {
                switchover = Switchover.FORCED;
                StreamMigration.setDowntimeLimit(qmp, StreamMigration.MAX_DOWNTIME_LIMIT_MS);
                listener.message("not converged after " + (lastPass - 1) + " of QEMU's passes in "
                        + (System.nanoTime() - startNanos) / 1_000_000 + " ms: forcing the switchover (QEMU's downtime-limit raised)");
            }
            case ABORT -> {
                switchover = Switchover.ABORTED;
                abortReason = "did not converge after " + (lastPass - 1) + " of QEMU's passes in "
                        + (System.nanoTime() - startNanos) / 1_000_000 + " ms; --on-no-convergence abort: migrate_cancel";
                listener.message(abortReason);
                StreamMigration.cancel(qmp);
            }
            default -> throw new IllegalStateException(d.toString());
        }
    }

    /** Ends the loop within its poll interval. */
    void stop() {
        stop = true;
    }

    /** QEMU's own timestamp of the source guest's STOP; null if none was seen. */
    Long stoppedEpochMicros() {
        return stoppedEpochMicros;
    }

    /** QEMU's final MIGRATION status (completed, failed, cancelled); null if the loop ended before one. */
    String finalStatus() {
        return finalStatus;
    }

    Switchover switchover() {
        return switchover;
    }

    /** Why an abort cancelled the migration; null unless one did. */
    String abortReason() {
        return abortReason;
    }

    /** query-migrate after QEMU's final status; null before. */
    Map<String, Object> finalInfo() {
        return finalInfo;
    }

    /** What ended the loop early (QMP failed); null otherwise. */
    Exception failure() {
        return failure;
    }
}
