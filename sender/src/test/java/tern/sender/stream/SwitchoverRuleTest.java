package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import tern.sender.engine.EngineConfig;
import tern.sender.stream.SwitchoverRule.Decision;
import tern.sender.stream.SwitchoverRule.Estimate;

/** Tern's switchover rule at QEMU's dirty-log syncs: what remains after held pages, at the measured bandwidth. */
class SwitchoverRuleTest {
    private static final long MIB = 1 << 20;
    private static final double LINK = 32 * MIB;
    private final SwitchoverRule rule = new SwitchoverRule(Duration.ofMillis(300), 30, Duration.ofSeconds(120),
            EngineConfig.OnNoConvergence.FORCE);

    @Test
    void whatFitsTheLimitConverges() {
        assertEquals(Decision.CONVERGED, rule.atPass(2, new Estimate(8 * MIB, 0, LINK, 0), 0));
        assertEquals(Decision.CONTINUE, rule.atPass(2, new Estimate(12 * MIB, 0, LINK, 0), 0));
    }

    @Test
    void heldPagesAreNotRemaining() {
        // 64 MiB dirty, all of it silent stores in the last pass: QEMU would never converge, Tern does
        assertEquals(Decision.CONVERGED, rule.atPass(3, new Estimate(64 * MIB, 1.0, LINK, 0), 0));
        assertEquals(Decision.CONTINUE, rule.atPass(3, new Estimate(64 * MIB, 0.5, LINK, 0), 0));
    }

    @Test
    void theBacklogBetweenQemuAndTheLinkCounts() {
        assertEquals(Decision.CONTINUE, rule.atPass(2, new Estimate(8 * MIB, 0, LINK, 2 * MIB), 0));
    }

    @Test
    void nothingToSendFitsEvenBeforeTheBandwidthWasMeasured() {
        assertEquals(Decision.CONVERGED, rule.atPass(2, new Estimate(0, 0, 0, 0), 0));
        assertEquals(Decision.CONTINUE, rule.atPass(2, new Estimate(4096, 0, 0, 0), 0));
    }

    @Test
    void afterMaxPassesOrMaxTimeForceOrAbortApplies() {
        Estimate far = new Estimate(256 * MIB, 0, LINK, 0);
        assertEquals(Decision.FORCE, rule.atPass(31, far, 0));
        assertEquals(Decision.CONTINUE, rule.atPass(30, far, 0));
        assertEquals(Decision.FORCE, rule.bounds(3, Duration.ofSeconds(120).toNanos()));
        SwitchoverRule abort = new SwitchoverRule(Duration.ofMillis(300), 30, null, EngineConfig.OnNoConvergence.ABORT);
        assertEquals(Decision.ABORT, abort.atPass(31, far, 0));
        assertEquals(Decision.CONTINUE, abort.bounds(3, Long.MAX_VALUE), "no --max-time: only the passes bound it");
    }
}
