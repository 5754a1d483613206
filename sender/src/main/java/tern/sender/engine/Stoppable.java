package tern.sender.engine;

import java.time.Duration;

/**
 * A migration the sender's shutdown hook stops from another thread: the pre-copy engine
 * ({@link PrecopyLoop}) or a relayed QEMU stream. First {@link #abandon} (its thread takes no
 * further step), then, once the source is settled, {@link #cancel} (the receiver is told).
 */
public interface Stoppable {
    /** From now on every send and reply fails, so the migration's thread ends at its next step; nothing is sent yet. */
    void abandon(String reason);

    /**
     * After {@link #abandon}: tells the receiver the migration is over (a Cancel) and waits up to
     * {@code confirm} for it to say so.
     *
     * @return whether the receiver confirmed
     */
    boolean cancel(String reason, Duration confirm) throws InterruptedException;

    /** Whether the receiver accepted the migration's hello (it holds the migration until told otherwise). */
    boolean accepted();
}
