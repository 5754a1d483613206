package tern.receiver.session;

import java.time.Duration;
import tern.common.wire.Protocol;
import tern.receiver.stream.StreamDestination;

/**
 * Limits a receiver enforces on every migration, how long it holds a migration whose stream was
 * lost for its sender to resume (zero: not held, the migration fails with its stream), and, for a
 * receiver of relayed QEMU streams (--qemu-stream), where they go ({@code streams}; null: this
 * receiver takes page migrations into its image, and refuses a QEMU stream's hello).
 */
public record ReceiverConfig(int maxMessageBytes, int window, long maxImageBytes, Duration resumeTimeout,
                             StreamDestination streams, Duration streamLoadTimeout) {
    public static final Duration DEFAULT_RESUME_TIMEOUT = Duration.ofSeconds(60);

    public static final int DEFAULT_MAX_MESSAGE_BYTES = Protocol.DEFAULT_MAX_MESSAGE_BYTES;
    public static final int DEFAULT_WINDOW = 16;
    /** --max-image's default: what one hello may ask for unless the operator says more (HelloCheck). */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 64L << 30;
    /** How long a destination QEMU may take to load the stream's end before the migration fails (--handoff-timeout). */
    public static final Duration DEFAULT_STREAM_LOAD_TIMEOUT = Duration.ofSeconds(60);

    /** A receiver of page migrations. */
    public ReceiverConfig(int maxMessageBytes, int window, long maxImageBytes, Duration resumeTimeout) {
        this(maxMessageBytes, window, maxImageBytes, resumeTimeout, null, DEFAULT_STREAM_LOAD_TIMEOUT);
    }

    public static ReceiverConfig defaults() {
        return new ReceiverConfig(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_WINDOW, DEFAULT_MAX_IMAGE_BYTES, DEFAULT_RESUME_TIMEOUT);
    }

    public ReceiverConfig withResumeTimeout(Duration d) {
        return new ReceiverConfig(maxMessageBytes, window, maxImageBytes, d, streams, streamLoadTimeout);
    }

    /** A receiver of relayed QEMU streams, written into {@code destination}. */
    public ReceiverConfig withStreams(StreamDestination destination, Duration loadTimeout) {
        return new ReceiverConfig(maxMessageBytes, window, maxImageBytes, resumeTimeout, destination, loadTimeout);
    }

    public ReceiverConfig withMaxImageBytes(long bytes) {
        return new ReceiverConfig(maxMessageBytes, window, bytes, resumeTimeout, streams, streamLoadTimeout);
    }
}
