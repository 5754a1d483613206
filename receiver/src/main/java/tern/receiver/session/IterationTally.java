package tern.receiver.session;

import java.util.Locale;
import tern.proto.Phase;

/** The receiver's counts at the start of the iteration in progress, so its figures are the growth since. */
final class IterationTally {
    private boolean open;
    private int iteration;
    private Phase phase;
    private long stored;
    private long held;
    private long batches;
    private long startNanos;

    /** Whether {@code iteration} is the one in progress (a resumed stream announces it again). */
    boolean isOpen(int iteration) {
        return open && this.iteration == iteration;
    }

    void begin(int iteration, Phase phase, long stored, long held, long batches) {
        this.open = true;
        this.iteration = iteration;
        this.phase = phase;
        this.stored = stored;
        this.held = held;
        this.batches = batches;
        this.startNanos = System.nanoTime();
    }

    /** The iteration in progress, now ended; null when none was. */
    ReceivedIteration end(String migrationId, long storedNow, long heldNow, long batchesNow) {
        if (!open) {
            return null;
        }
        open = false;
        return new ReceivedIteration(migrationId, iteration, phase.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                storedNow - stored, heldNow - held, batchesNow - batches, (System.nanoTime() - startNanos) / 1_000_000);
    }
}
