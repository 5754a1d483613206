package tern.sender.engine;

import java.util.concurrent.Callable;
import tern.sender.source.MemorySource;

/**
 * The source's pause and what becomes of it, whichever thread decides: after a failure, or when
 * the sender is stopped from outside (a signal's shutdown hook: {@link #release}), a paused
 * workload runs on; after success, as --after-success says, and that is never undone. So a
 * migration never leaves a workload frozen, and never leaves two copies running (stay-paused is
 * the default).
 *
 * <p>Exactly one path settles the source. Every transition, the pause itself included, happens
 * under this object's lock: a release that comes while the engine thread is pausing waits for the
 * pause and then resumes, and a pause asked for after a release is refused. Once {@link
 * State#SETTLED}, nothing changes the source any more. With a hand-off (a QEMU guest's device
 * state follows the verified pages), success leaves the source paused until the hand-off ends:
 * if it fails, or the sender is stopped meanwhile, the hand-off is rolled back.
 *
 * <p>{@link MemorySource}'s pause, resume and terminate declare Exception, and so do
 * {@link #pause} and {@link #succeeded}.
 */
public final class SourceControl {
    /** Where the source stands. */
    public enum State {
        /** Never paused by this migration. */
        RUNNING,
        /** Paused for stop-and-copy; no verdict yet. */
        PAUSED,
        /** Verified, paused until the hand-off (it has not begun). */
        AWAITING_HANDOFF,
        /** The hand-off runs: its rollback undoes it unless the destination has the guest. */
        HANDING_OFF,
        /** Decided for good: resumed, left paused after success, ended, or handed over. */
        SETTLED
    }

    private final MemorySource source;
    private final EngineConfig.AfterSuccess afterSuccess;
    private final boolean handOff;
    private final EngineListener listener;
    private State state = State.RUNNING;
    private String outcome = "was not paused";
    private Callable<String> rollback;

    /**
     * @param handOff a hand-off follows the verdict ({@link #handingOff}); the source stays paused
     *                until it ends, and afterSuccess applies after it
     */
    public SourceControl(MemorySource source, EngineConfig.AfterSuccess afterSuccess, boolean handOff,
                         EngineListener listener) {
        this.source = source;
        this.afterSuccess = afterSuccess;
        this.handOff = handOff;
        this.listener = listener;
    }

    public synchronized State state() {
        return state;
    }

    /** What became of the source, for the sender's last line ("resumed", "left paused (...)"). */
    public synchronized String outcome() {
        return outcome;
    }

    /** Stops the writer for stop-and-copy; refused once the source was released. */
    synchronized void pause() throws Exception {
        if (state == State.SETTLED) {
            throw new MigrationFailure("not pausing the source: the sender is stopping (the source " + outcome + ")");
        }
        // Ordering rule (docs/design.md): marked before pause(), since one that fails half-way
        // (SIGSTOP sent) must still be undone; and held under the lock, so that a release waits
        // for the pause to finish before it resumes.
        state = State.PAUSED;
        outcome = "paused";
        source.pause();
    }

    /** The receiver verified the image. */
    synchronized void succeeded() throws Exception {
        if (state == State.SETTLED) {
            return; // released meanwhile: the source runs on, and the verdict changes nothing
        }
        if (handOff) {
            state = State.AWAITING_HANDOFF;
            outcome = "paused, awaiting the hand-off";
            return;
        }
        afterSuccess();
    }

    /** The migration failed: a paused source runs on. */
    synchronized void failed() {
        if (state == State.PAUSED || state == State.AWAITING_HANDOFF) {
            resume("after the failure");
        } else if (state == State.HANDING_OFF) {
            rollBack();
        }
        state = State.SETTLED;
    }

    /**
     * The hand-off begins; {@code rollback} leaves the source running unless the destination has
     * the guest, and says what it did. Refused once the source was released.
     */
    public synchronized void handingOff(Callable<String> rollback) throws MigrationFailure {
        if (state != State.AWAITING_HANDOFF) {
            throw new MigrationFailure("no hand-off: the sender is stopping (the source " + outcome + ")");
        }
        this.rollback = rollback;
        state = State.HANDING_OFF;
    }

    /** The hand-off completed: the destination has the guest; --after-success applies now. */
    public synchronized void handedOff() throws Exception {
        if (state == State.HANDING_OFF) {
            afterSuccess();
        }
    }

    /** The hand-off failed: rolled back (unless a release did it first); says what became of the source. */
    public synchronized String handOffFailed() {
        if (state == State.HANDING_OFF) {
            rollBack();
            state = State.SETTLED;
        }
        return outcome;
    }

    /**
     * The sender is stopping from outside (a signal): whatever the engine or the hand-off was
     * doing, the source is left running unless it was settled already (a verified migration's
     * --after-success is never undone). Waits for a pause in progress. Any thread.
     *
     * @return what became of the source
     */
    public synchronized String release() {
        switch (state) {
            case PAUSED, AWAITING_HANDOFF -> resume("as the sender stops");
            case HANDING_OFF -> rollBack();
            case RUNNING -> outcome = "was not paused";
            default -> {
                // settled: as decided
            }
        }
        state = State.SETTLED;
        return outcome;
    }

    private void afterSuccess() throws Exception {
        state = State.SETTLED;
        switch (afterSuccess) {
            case CONTINUE -> {
                outcome = "continued (--after-success continue)";
                source.resume();
            }
            case KILL -> {
                outcome = "ended (--after-success kill)";
                source.terminate();
            }
            default -> outcome = "left paused (--after-success stay-paused)";
        }
    }

    private void resume(String when) {
        try {
            source.resume();
            outcome = "resumed";
        } catch (Exception e) {
            outcome = "could not be resumed (" + e.getMessage() + ")";
            listener.message("could not resume the source " + when + ": " + e.getMessage());
        }
    }

    private void rollBack() {
        try {
            outcome = rollback.call();
        } catch (Exception e) {
            outcome = "could not be continued (" + e.getMessage() + ")";
            listener.message("could not roll the hand-off back: " + e.getMessage());
        }
    }
}
