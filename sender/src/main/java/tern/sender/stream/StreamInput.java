package tern.sender.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import tern.common.qemu.stream.StreamSink;

/**
 * QEMU's stream as the parser reads it: one fixed heap buffer over the socket, so at most its
 * capacity is taken from QEMU ahead of the parser (QEMU's bandwidth estimate counts what the
 * socket accepts). Bytes consumed are opaque unless a record is cut out of them
 * ({@link #skipRecord}); opaque bytes reach the sink as views of the buffer, before the buffer
 * moves them and before any record that follows them. Nothing here allocates after construction.
 */
final class StreamInput {
    private final ReadableByteChannel in;
    private final ByteBuffer buf;
    private final byte[] array;
    /** Shares {@link #buf}'s bytes; lent to the sink, one call at a time. */
    private final ByteBuffer view;
    private final StreamSink sink;
    /** Stream offset of buf[0]. */
    private long base;
    /** buf index where the opaque bytes not yet given to the sink begin; never past the position. */
    private int opaqueFrom;
    private long opaqueBytes;
    private boolean eof;

    StreamInput(ReadableByteChannel in, int capacity, StreamSink sink) {
        this.in = in;
        this.buf = ByteBuffer.allocate(capacity);
        this.array = buf.array();
        this.view = buf.duplicate();
        this.sink = sink;
        buf.limit(0);
    }

    int capacity() {
        return buf.capacity();
    }

    /** Stream offset of the next unread byte. */
    long offset() {
        return base + buf.position();
    }

    long opaqueBytes() {
        return opaqueBytes;
    }

    /** Makes {@code n} bytes readable from the position; false when the stream ended first. */
    boolean fill(int n) throws IOException {
        if (n > buf.capacity()) {
            throw new IllegalStateException(n + " bytes wanted at once from a buffer of " + buf.capacity());
        }
        while (buf.remaining() < n) {
            if (eof) {
                return false;
            }
            if (buf.position() + n > buf.capacity()) {
                compact();
            }
            int pos = buf.position();
            int end = buf.limit();
            buf.limit(buf.capacity()).position(end);
            int r = in.read(buf);
            int newEnd = buf.position();
            buf.limit(newEnd).position(pos);
            if (r < 0) {
                eof = true;
            }
        }
        return true;
    }

    /** The next byte, or -1 at the end of the stream; consumes nothing. */
    int peek() throws IOException {
        return fill(1) ? u8(0) : -1;
    }

    int u8(int at) {
        return array[buf.position() + at] & 0xff;
    }

    int be16(int at) {
        return buf.getShort(buf.position() + at) & 0xffff;
    }

    long be32(int at) {
        return buf.getInt(buf.position() + at) & 0xffffffffL;
    }

    long be64(int at) {
        return buf.getLong(buf.position() + at);
    }

    byte[] array() {
        return array;
    }

    /** Array index of the byte {@code at} past the position. */
    int index(int at) {
        return buf.position() + at;
    }

    /** Consumes {@code n} filled bytes as opaque. */
    void consume(int n) {
        buf.position(buf.position() + n);
    }

    /** Consumes everything filled, as opaque. */
    int consumeAll() {
        int n = buf.remaining();
        buf.position(buf.limit());
        return n;
    }

    /** Gives the sink the opaque bytes consumed so far. */
    void flushOpaque() throws IOException {
        int pos = buf.position();
        if (pos > opaqueFrom) {
            view.limit(pos).position(opaqueFrom);
            opaqueBytes += pos - opaqueFrom;
            opaqueFrom = pos;
            sink.opaque(view);
        }
    }

    /** The filled bytes {@code [at, at + len)} past the position, as the lent view. */
    ByteBuffer slice(int at, int len) {
        int from = buf.position() + at;
        view.limit(from + len).position(from);
        return view;
    }

    /**
     * Consumes a record of {@code n} filled bytes that is not opaque; {@link #flushOpaque} must
     * have run at its start, so the opaque bytes before it reached the sink ahead of it.
     */
    void skipRecord(int n) {
        buf.position(buf.position() + n);
        opaqueFrom = buf.position();
    }

    private void compact() throws IOException {
        // the opaque bytes leave in order before the buffer moves them
        flushOpaque();
        int pos = buf.position();
        int keep = buf.remaining();
        System.arraycopy(array, pos, array, 0, keep);
        base += pos;
        buf.limit(keep).position(0);
        opaqueFrom = 0;
    }
}
