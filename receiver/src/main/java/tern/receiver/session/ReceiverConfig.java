package tern.receiver.session;

/** Limits a receiver enforces on every migration. */
public record ReceiverConfig(int maxMessageBytes, int window, long maxImageBytes) {
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 4 << 20;
    public static final int DEFAULT_WINDOW = 16;

    public static ReceiverConfig defaults() {
        return new ReceiverConfig(DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_WINDOW, Long.MAX_VALUE);
    }
}
