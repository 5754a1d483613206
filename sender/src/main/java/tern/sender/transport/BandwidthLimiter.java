package tern.sender.transport;

import java.util.concurrent.locks.LockSupport;

/**
 * Caps the sender's wire bytes at a rate (--bandwidth): each message's measured wire size pushes
 * the earliest time of the next send forward by size / rate. Pacing happens before a send, on the
 * engine thread, so nothing queues behind the cap.
 */
public final class BandwidthLimiter {
    private final double nanosPerByte;
    private long nextSendNanos;

    /** @param bytesPerSecond the cap; 0 means none */
    public BandwidthLimiter(long bytesPerSecond) {
        this.nanosPerByte = bytesPerSecond <= 0 ? 0 : 1e9 / bytesPerSecond;
    }

    public boolean limited() {
        return nanosPerByte > 0;
    }

    /** Waits until the bytes already sent have drained at the capped rate. */
    public void awaitTurn() {
        if (nanosPerByte == 0) {
            return;
        }
        long wait;
        while ((wait = nextSendNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Accounts for {@code bytes} just handed to the transport. */
    public void sent(long bytes) {
        if (nanosPerByte == 0) {
            return;
        }
        long now = System.nanoTime();
        nextSendNanos = Math.max(nextSendNanos, now) + (long) (bytes * nanosPerByte);
    }
}
