package tern.receiver.session;

import java.time.Duration;
import tern.common.wire.Protocol;

/**
 * Limits a receiver enforces on every migration, and how long it holds a migration whose stream
 * was lost for its sender to resume (zero: not held, the migration fails with its stream).
 */
public record ReceiverConfig(int maxMessageBytes, int window, long maxImageBytes, Duration resumeTimeout) {
    public static final Duration DEFAULT_RESUME_TIMEOUT = Duration.ofSeconds(60);

    public static final int DEFAULT_MAX_MESSAGE_BYTES = Protocol.DEFAULT_MAX_MESSAGE_BYTES;
    public static final int DEFAULT_WINDOW = 16;
    /** --max-image's default: what one hello may ask for unless the operator says more (HelloCheck). */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 64L << 30;

    public static ReceiverConfig defaults() {
        return new ReceiverConfig(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_WINDOW, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_RESUME_TIMEOUT);
    }

    public ReceiverConfig withResumeTimeout(Duration d) {
        return new ReceiverConfig(maxMessageBytes, window, maxImageBytes, d);
    }

    public ReceiverConfig withMaxImageBytes(long bytes) {
        return new ReceiverConfig(maxMessageBytes, window, bytes, resumeTimeout);
    }
}
