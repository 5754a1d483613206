package tern.receiver.server;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * How long one stream may keep the receiver waiting ({@link ServerLimits}): for its hello, for a
 * new migration's first message after the hello, and for each message after that. A stream that
 * sends nothing, or a peer that stops reading (its HTTP/2 window at zero: the receiver reads the
 * next message only once its reply can go out), would otherwise hold the receiver's only
 * migration slot for ever.
 *
 * <p>The service marks progress (two field writes per message, nothing allocated); one check at
 * a time is scheduled on the service's timer, at the earliest moment the deadline could pass, and
 * reschedules itself when the stream made progress meanwhile. Progress, checks and the expiry
 * run under the service's lock, so a check never expires a stream that is being served.
 */
final class StreamDeadline {
    /** What the stream is waiting for. */
    enum Wait {
        /** its first message, the hello: --hello-timeout */
        HELLO,
        /** a new migration's first message after its hello: --hello-timeout */
        FIRST_AFTER_HELLO,
        /** the next message of a live migration: --idle-timeout */
        NEXT
    }

    /** Called with the service's lock held, once, when the deadline passed. */
    interface Expiry {
        void expired(Wait waiting, Duration timeout);
    }

    private final ScheduledExecutorService timer;
    private final Object lock;
    private final ServerLimits limits;
    private final Expiry expiry;
    // guarded by lock
    private Wait wait = Wait.HELLO;
    private long since = System.nanoTime();
    private boolean stopped;
    /** The pending check; written by the constructor and by checks, cancelled under the lock. */
    private volatile ScheduledFuture<?> check;

    StreamDeadline(ScheduledExecutorService timer, Object lock, ServerLimits limits, Expiry expiry) {
        this.timer = timer;
        this.lock = lock;
        this.limits = limits;
        this.expiry = expiry;
        // not under the lock: a stream starts without waiting for a verification to finish; the
        // timer's hand-off publishes the fields above to the check
        schedule(timeout().toNanos());
    }

    /** Under the lock: the stream was served (a message handled, a table chunk sent) and now waits for {@code next}. */
    void progressed(Wait next) {
        wait = next;
        since = System.nanoTime();
    }

    /** Under the lock: the stream ended; no check will expire it. */
    void stop() {
        stopped = true;
        if (check != null) {
            check.cancel(false);
        }
    }

    private Duration timeout() {
        return wait == Wait.NEXT ? limits.idleTimeout() : limits.helloTimeout();
    }

    private void schedule(long nanos) {
        try {
            check = timer.schedule(this::check, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            stopped = true; // the receiver is closing: every stream ends with it
        }
    }

    private void check() {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            long timeout = timeout().toNanos();
            long waited = System.nanoTime() - since;
            if (waited < timeout) {
                schedule(timeout - waited);
                return;
            }
            stopped = true;
            expiry.expired(wait, timeout());
        }
    }
}
