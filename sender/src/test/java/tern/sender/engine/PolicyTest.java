package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/** Switchover, bounds and what happens to the source after success or failure. */
class PolicyTest {
    @TempDir
    Path dir;

    @Test
    void idleSourceConvergesAfterTheBulkPass() throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.IDLE, 256, 0, 0, 1)) {
            EngineConfig cfg = EngineConfig.builder().maxIterations(30).downtimeLimit(Duration.ofMillis(300)).build();
            Loopback.Run r = rx.migrate(w, cfg, EngineListener.NONE);
            assertNull(r.failure());
            assertTrue(r.result().summary().converged());
            assertTrue(r.result().iterations().size() == 2, "bulk, then stop-and-copy");
            assertNotNull(r.result().summary().downtimeMs());
            assertTrue(r.result().summary().downtimeMs() >= 0, "an empty stop-and-copy still has a downtime >= 0");
        }
    }

    @Test
    void forcedStopAndCopyCompletesUnconverged() throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1)) {
            Loopback.Run r = rx.migrate(w, Configs.fixed(Mode.SYNC_CLEAR, false, 3), EngineListener.NONE);
            assertNull(r.failure());
            assertFalse(r.result().summary().converged(), "forced, so not converged");
            assertTrue(r.result().summary().verified());
            assertArrayEquals(w.snapshot(), rx.imageBytes());
        }
    }

    @Test
    void abortOnNoConvergenceFailsAndLeavesTheSourceRunning() throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1)) {
            EngineConfig cfg = Configs.fixed(Mode.DIGEST, false, 3).toBuilder()
                    .onNoConvergence(EngineConfig.OnNoConvergence.ABORT)
                    .afterSuccess(EngineConfig.AfterSuccess.STAY_PAUSED).build();
            Loopback.Run r = rx.migrate(w, cfg, EngineListener.NONE);
            assertNotNull(r.failure());
            assertTrue(r.failure().getMessage().contains("did not converge"), r.failure().getMessage());
            assertFalse(w.paused(), "never paused");
            assertFalse(r.outcome().verified(), "the receiver saw the migration end unverified");
            assertNotNull(r.failure().partial(), "figures up to the failure");
            assertFalse(r.failure().partial().summary().verified());
        }
    }

    @Test
    void afterSuccessContinueResumesTheSource() throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1)) {
            EngineConfig cfg = Configs.fixed(Mode.DIGEST, false, 2).toBuilder()
                    .onNoConvergence(EngineConfig.OnNoConvergence.FORCE)
                    .afterSuccess(EngineConfig.AfterSuccess.CONTINUE).build();
            Loopback.Run r = rx.migrate(w, cfg, EngineListener.NONE);
            assertNull(r.failure());
            assertFalse(w.paused(), "continued after success");
        }
    }

    /** A failure after the pause: the workload must go on where it was. */
    @Test
    void failureDuringStopAndCopyResumesTheSource() throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1)) {
            ChasingWriter failing = new ChasingWriter(w) {
                @Override
                public ByteBuffer page(int index) {
                    if (w.paused()) {
                        throw new IllegalStateException("source memory unreadable");
                    }
                    return super.page(index);
                }
            };
            Loopback.Run r = rx.migrate(failing, Configs.fixed(Mode.DIGEST, false, 2), EngineListener.NONE);
            assertNotNull(r.failure());
            assertTrue(r.failure().getMessage().contains("source memory unreadable"), r.failure().getMessage());
            assertFalse(w.paused(), "resumed after the failure");
            assertFalse(r.outcome().verified());
        }
    }
}
