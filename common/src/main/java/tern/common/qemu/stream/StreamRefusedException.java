package tern.common.qemu.stream;

import java.io.IOException;

/**
 * QEMU's stream holds something Tern cannot carry, or is not a stream Tern can read: the message
 * names what (QEMU's name for the feature where it is one) and where (byte offset, section).
 */
public final class StreamRefusedException extends IOException {
    private final long offset;

    public StreamRefusedException(long offset, String message) {
        super("QEMU migration stream, byte " + offset + ": " + message);
        this.offset = offset;
    }

    /** The stream offset of the element refused. */
    public long offset() {
        return offset;
    }
}
