package tern.receiver.server;

import java.time.Duration;

/**
 * What the receiver's transport lets a peer hold before it refuses (docs/hostile-input.md): open
 * connections, and how long a stream may wait before its hello, between its hello and its first
 * message after it, and between messages later on. The fixed limits below are not options: they
 * are far above what a sender uses and far below what hurts.
 *
 * @param maxConnections connections open at once; the next is closed as it is accepted
 * @param helloTimeout a stream's deadline for its hello, and a new migration's for its first message after it
 * @param idleTimeout a live stream's deadline for its next message: longer than any gap a sender makes
 */
public record ServerLimits(int maxConnections, Duration helloTimeout, Duration idleTimeout) {
    /** The largest first message of a stream, before its hello is accepted: a hello is well under 1 KiB. */
    public static final int FIRST_MESSAGE_BYTES = 64 << 10;
    /** Streams one connection may have open at once: a sender opens one per connection (a new one to resume). */
    public static final int MAX_CALLS_PER_CONNECTION = 8;
    /** RST_STREAM frames one connection may send per {@link #RST_WINDOW_SECONDS} (CVE-2023-44487, rapid reset). */
    public static final int MAX_RST_FRAMES = 100;
    public static final int RST_WINDOW_SECONDS = 10;

    public static final int DEFAULT_MAX_CONNECTIONS = 64;
    public static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

    public ServerLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("--max-connections " + maxConnections + " must be at least 1");
        }
        if (helloTimeout.isNegative() || helloTimeout.isZero()) {
            throw new IllegalArgumentException("--hello-timeout must be positive");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("--idle-timeout must be positive");
        }
    }

    public static ServerLimits defaults() {
        return new ServerLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_HELLO_TIMEOUT, DEFAULT_IDLE_TIMEOUT);
    }

    public ServerLimits withTimeouts(Duration hello, Duration idle) {
        return new ServerLimits(maxConnections, hello, idle);
    }

    public ServerLimits withMaxConnections(int n) {
        return new ServerLimits(n, helloTimeout, idleTimeout);
    }
}
