package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tern.sender.workload.WorkloadPattern;

/**
 * Exactly one path settles the source (ordering rules S9, S22): a release that comes while the
 * engine thread is pausing waits for the pause and then resumes; a pause after a release is
 * refused; a verified migration's --after-success is never undone; a hand-off is rolled back once,
 * whichever of the shutdown hook and the hand-off's failure asks first.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SourceControlTest {
    /** A real workload whose pause, once begun, waits for the test to let it finish; it counts pauses and resumes. */
    private static final class GatedPause extends WrappedWorkload {
        final CountDownLatch pausing = new CountDownLatch(1);
        final CountDownLatch finishPause = new CountDownLatch(1);
        final AtomicInteger pauses = new AtomicInteger();
        final AtomicInteger resumes = new AtomicInteger();

        GatedPause() {
            super(Configs.workload(WorkloadPattern.UNIFORM, 16, 1, 0, 1));
        }

        @Override
        public String describe() {
            return "gated " + w.describe();
        }

        @Override
        public void pause() throws InterruptedException {
            w.pause();
            pauses.incrementAndGet();
            pausing.countDown();
            finishPause.await();
        }

        @Override
        public void resume() {
            w.resume();
            resumes.incrementAndGet();
        }
    }

    @Test
    void aReleaseDuringThePauseWaitsForItThenResumes() throws Exception {
        try (GatedPause s = new GatedPause()) {
            s.finishPause.countDown(); // this first control pauses at once
            SourceControl c = new SourceControl(s, EngineConfig.AfterSuccess.STAY_PAUSED, false, EngineListener.NONE);
            c.pause();
            assertTrue(s.w.paused());
            assertEquals("resumed", c.release());
            assertFalse(s.w.paused());
        }
        try (GatedPause s = new GatedPause()) {
            SourceControl c = new SourceControl(s, EngineConfig.AfterSuccess.STAY_PAUSED, false, EngineListener.NONE);
            Thread engine = new Thread(() -> {
                try {
                    c.pause();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            engine.start();
            s.pausing.await(); // the engine thread is inside the source's pause
            AtomicReference<String> released = new AtomicReference<>();
            Thread hook = new Thread(() -> released.set(c.release()));
            hook.start();
            // the release waits on the control's lock, held by the pause in progress
            while (hook.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            assertEquals(0, s.resumes.get(), "nothing resumed while the pause runs");
            s.finishPause.countDown();
            engine.join();
            hook.join();
            assertEquals("resumed", released.get());
            assertEquals(1, s.resumes.get());
            assertFalse(s.w.paused(), "the source runs on");
            assertEquals(SourceControl.State.SETTLED, c.state());
            // the engine carries on until the JVM halts: it may neither pause again nor resume twice
            MigrationFailure refused = assertThrows(MigrationFailure.class, c::pause);
            assertTrue(refused.getMessage().contains("the sender is stopping"), refused.getMessage());
            c.failed();
            c.succeeded();
            assertEquals(1, s.pauses.get());
            assertEquals(1, s.resumes.get());
        }
    }

    @Test
    void aVerifiedMigrationsAfterSuccessIsNeverUndone() throws Exception {
        try (GatedPause s = new GatedPause()) {
            s.finishPause.countDown();
            SourceControl c = new SourceControl(s, EngineConfig.AfterSuccess.STAY_PAUSED, false, EngineListener.NONE);
            c.pause();
            c.succeeded();
            assertEquals("left paused (--after-success stay-paused)", c.release());
            c.failed();
            assertEquals(0, s.resumes.get());
            assertTrue(s.w.paused());
        }
    }

    @Test
    void aHandOffIsRolledBackOnceWhoeverAsksFirst() throws Exception {
        try (GatedPause s = new GatedPause()) {
            s.finishPause.countDown();
            SourceControl c = new SourceControl(s, EngineConfig.AfterSuccess.KILL, true, EngineListener.NONE);
            c.pause();
            c.succeeded();
            assertEquals(SourceControl.State.AWAITING_HANDOFF, c.state(), "paused until the device state moved");
            AtomicInteger rollbacks = new AtomicInteger();
            c.handingOff(() -> {
                rollbacks.incrementAndGet();
                return "was continued";
            });
            assertEquals("was continued", c.release());
            assertEquals("was continued", c.handOffFailed());
            assertEquals(1, rollbacks.get());
            c.handedOff(); // too late: the kill of --after-success does not follow a rollback
            assertEquals(SourceControl.State.SETTLED, c.state());
        }
        try (GatedPause s = new GatedPause()) {
            s.finishPause.countDown();
            SourceControl c = new SourceControl(s, EngineConfig.AfterSuccess.STAY_PAUSED, true, EngineListener.NONE);
            c.pause();
            c.succeeded();
            // stopped between the verdict and the hand-off: nothing runs on the destination, so the source resumes
            assertEquals("resumed", c.release());
            assertThrows(MigrationFailure.class, () -> c.handingOff(() -> "never"));
            assertEquals(1, s.resumes.get());
        }
    }
}
