package tern.sender.stream;

import java.io.IOException;
import java.util.function.BooleanSupplier;
import tern.sender.engine.MigrationFailure;

/**
 * What becomes of the source guest of a relayed QEMU stream, decided exactly once by whichever
 * thread comes first: the relay's failure, the receiver's verdict, or the sender's shutdown hook
 * (a signal). Every decision is taken under this object's lock, and so are the QMP steps that
 * start QEMU's migration ({@link #start}): a hook that comes while Tern is issuing migrate waits
 * for it and then cancels it, and a migrate asked for after the hook is refused.
 *
 * <p>A release (failure, signal) lets the guest run on ({@link SourceGuest#runOn}), except once
 * Complete went with no verdict back: the destination may be running, so the guest is left paused,
 * saying so. After a verified hand-over nothing undoes --after-success.
 */
final class GuestSettlement {
    /** A QMP step that touches the guest's migration. */
    @FunctionalInterface
    interface Step<T> {
        T run() throws IOException, MigrationFailure, InterruptedException;
    }

    private SourceGuest guest;
    private BooleanSupplier completeSent = () -> false;
    private String outcome;

    /**
     * Runs {@code step} (the parameters and migrate) on {@code guest}, which a release from now on
     * lets run on; refused once released.
     */
    synchronized <T> T start(SourceGuest guest, Step<T> step) throws IOException, MigrationFailure, InterruptedException {
        if (outcome != null) {
            throw new MigrationFailure("not starting QEMU's migration: the sender is stopping (" + outcome + ")");
        }
        this.guest = guest;
        return step.run();
    }

    /** The relay runs: once {@code completeSent} says so, a release leaves the guest paused. */
    synchronized void relaying(BooleanSupplier completeSent) {
        this.completeSent = completeSent;
    }

    /**
     * The migration failed or the sender is stopping: the guest runs on (or is left paused once
     * Complete went); what became of it, for a person. Any thread; once, later calls say the same.
     */
    synchronized String release() {
        if (outcome == null) {
            outcome = guest == null ? "the source guest was not touched"
                    : completeSent.getAsBoolean() ? leftPaused(guest) : guest.runOn();
        }
        return outcome;
    }

    /** The receiver refused the stream it had whole: the destination does not run, so the guest runs on. */
    synchronized String refused() {
        if (outcome == null) {
            outcome = guest.runOn();
        }
        return outcome;
    }

    /**
     * The destination runs (the verdict): --after-success kill quits the source QEMU, else it stays
     * paused. After a release (the hook came first, and left it paused): as released.
     */
    synchronized String succeeded(boolean kill) throws IOException, InterruptedException {
        if (outcome == null) {
            if (kill) {
                guest.quit();
                outcome = "the source QEMU was quit";
            } else {
                outcome = "the source guest is left paused (" + guest.runState() + ")";
            }
        }
        return outcome;
    }

    private static String leftPaused(SourceGuest guest) {
        String run;
        try {
            run = guest.runState();
        } catch (IOException e) {
            run = "unknown: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run = "unknown";
        }
        return "the source guest is left paused (" + run + "): the receiver had the whole stream and its verdict never"
                + " came back, so the destination may be running; check it before you continue the source (QMP cont)";
    }
}
