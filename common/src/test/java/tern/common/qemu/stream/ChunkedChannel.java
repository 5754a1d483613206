package tern.common.qemu.stream;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A stream's bytes as a channel that gives at most {@code chunk} bytes per read, as a socket
 * may; allocates nothing per read.
 */
public final class ChunkedChannel implements ReadableByteChannel {
    private final byte[] bytes;
    private final int chunk;
    private int at;
    private boolean open = true;

    public ChunkedChannel(byte[] bytes, int chunk) {
        this.bytes = bytes;
        this.chunk = chunk;
    }

    /** Reads from the start again. */
    public ChunkedChannel rewind() {
        at = 0;
        return this;
    }

    @Override
    public int read(ByteBuffer dst) {
        if (at == bytes.length) {
            return -1;
        }
        int n = Math.min(Math.min(chunk, dst.remaining()), bytes.length - at);
        dst.put(bytes, at, n);
        at += n;
        return n;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
