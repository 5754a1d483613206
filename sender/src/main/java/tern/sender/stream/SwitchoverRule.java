package tern.sender.stream;

import java.time.Duration;
import tern.sender.engine.EngineConfig;

/**
 * Tern's switchover rule for a relayed QEMU stream (docs/design.md, "Switchover rule"), decided
 * at each of QEMU's dirty-log syncs (its MIGRATION_PASS event): switch over when what the next
 * pass is expected to put on the link fits the downtime limit at the link's measured bandwidth.
 * Expected: QEMU's remaining dirty bytes times (1 − the last pass's held share), plus what sits
 * between QEMU and the transport already ({@link RelayBudget}, the local socket's kernel buffer).
 * Counting held pages as remaining would make a guest whose stores are silent never converge,
 * which is QEMU's own view of it. After {@code maxPasses} passes or {@code maxTime} without
 * converging, {@code onNoConvergence} says force or abort.
 */
record SwitchoverRule(Duration downtimeLimit, int maxPasses, Duration maxTime, EngineConfig.OnNoConvergence onNoConvergence) {
    enum Decision { CONTINUE, CONVERGED, FORCE, ABORT }

    /**
     * @param remainingBytes QEMU's ram.remaining right after its sync: dirty pages × page size
     * @param heldShare      the share of the last pass's PAGE and ZERO records dropped as held
     * @param wireBytesPerSecond the link's bandwidth measured while it was busy; 0 when not measured yet
     * @param backlogBytes   bytes taken from QEMU (or in its socket) and not yet on the link
     */
    record Estimate(long remainingBytes, double heldShare, double wireBytesPerSecond, long backlogBytes) {
        /** Bytes the switchover is expected to put on the link. */
        double bytesToSend() {
            return remainingBytes * (1 - Math.max(0, Math.min(1, heldShare))) + backlogBytes;
        }

        /** Seconds those take at the measured bandwidth; infinite when nothing was measured yet. */
        double seconds() {
            double b = bytesToSend();
            if (b <= 0) {
                return 0;
            }
            return wireBytesPerSecond <= 0 ? Double.POSITIVE_INFINITY : b / wireBytesPerSecond;
        }
    }

    static SwitchoverRule of(EngineConfig cfg) {
        return new SwitchoverRule(cfg.downtimeLimit(), cfg.maxIterations(), cfg.maxTime(), cfg.onNoConvergence());
    }

    /** At the start of QEMU's pass {@code pass} (2 or later), {@code elapsedNanos} into the migration. */
    Decision atPass(int pass, Estimate e, long elapsedNanos) {
        if (e.seconds() <= downtimeLimit.toNanos() / 1e9) {
            return Decision.CONVERGED;
        }
        return bounds(pass - 1, elapsedNanos);
    }

    /** Between passes: only the time bound can be reached; {@code passesDone} passes have ended. */
    Decision bounds(int passesDone, long elapsedNanos) {
        boolean outOfTime = maxTime != null && elapsedNanos >= maxTime.toNanos();
        if (passesDone >= maxPasses || outOfTime) {
            return onNoConvergence == EngineConfig.OnNoConvergence.FORCE ? Decision.FORCE : Decision.ABORT;
        }
        return Decision.CONTINUE;
    }
}
