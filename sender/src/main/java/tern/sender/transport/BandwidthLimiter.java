package tern.sender.transport;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Caps the sender's wire bytes at a rate (--bandwidth): each message's measured wire size moves
 * the earliest time of the next send on by size / rate. The schedule advances from where it was,
 * not from when the sender woke, so a late wake-up is made up by the next sends instead of
 * lowering the rate; after idling, at most {@link #BURST_NANOS} of credit is kept, so the cap
 * holds over any window longer than that. Pacing happens before a send, on the engine thread,
 * so nothing queues behind the cap.
 */
public final class BandwidthLimiter {
    static final long BURST_NANOS = 10_000_000L;
    private final double nanosPerByte;
    private final LongSupplier clock;
    private long nextSendNanos;
    private boolean started;

    /** @param bytesPerSecond the cap; 0 means none */
    public BandwidthLimiter(long bytesPerSecond) {
        this(bytesPerSecond, System::nanoTime);
    }

    BandwidthLimiter(long bytesPerSecond, LongSupplier clock) {
        this.nanosPerByte = bytesPerSecond <= 0 ? 0 : 1e9 / bytesPerSecond;
        this.clock = clock;
    }

    /** Waits until the bytes already sent have drained at the capped rate. */
    public void awaitTurn() {
        long wait;
        while ((wait = waitNanos()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    /** How long the next send must wait now; 0 when it may go. */
    long waitNanos() {
        return nanosPerByte == 0 || !started ? 0 : Math.max(0, nextSendNanos - clock.getAsLong());
    }

    /** Accounts for {@code bytes} just handed to the transport. */
    public void sent(long bytes) {
        if (nanosPerByte == 0) {
            return;
        }
        long now = clock.getAsLong();
        long from = started ? Math.max(nextSendNanos, now - BURST_NANOS) : now;
        started = true;
        nextSendNanos = from + (long) (bytes * nanosPerByte);
    }
}
