package tern.receiver.stream;

import static tern.common.qemu.stream.QemuStreamFormat.FLAG_CONTINUE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_PAGE;
import static tern.common.qemu.stream.QemuStreamFormat.FLAG_ZERO;
import static tern.common.qemu.stream.QemuStreamFormat.PAGE_BITS;
import static tern.common.qemu.stream.QemuStreamFormat.PAGE_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamBlock;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamSink;

/**
 * Writes QEMU's migration stream again from a relay's events, for the destination QEMU's
 * migrate-incoming: opaque bytes byte for byte and in order, PAGE and ZERO records in the order
 * they come. Page records are left out upstream, so the source's CONTINUE bits mean nothing here:
 * the block of each record is named with this writer's own cursor, the destination's
 * last_recv_block as this stream left it (QEMU-STREAM.md §3.1). The destination loads records
 * statelessly, so records left out are simply not written.
 *
 * <p>Bytes are gathered in one fixed buffer and written when it fills, at {@link #flush}, at each
 * milestone and at the end; a page is copied into it (one copy, instead of a write per record).
 * Per record nothing is allocated. One thread.
 */
public final class StreamRebuilder implements StreamSink {
    private final WritableByteChannel out;
    private final ByteBuffer buf;
    private RamLayout layout;
    /** The block the last record written named or continued; -1: the next record names its block. */
    private int lastBlock = -1;
    private long bytesWritten;
    private long pageRecords;
    private long zeroRecords;

    public StreamRebuilder(WritableByteChannel out, int bufferBytes) {
        this.out = out;
        this.buf = ByteBuffer.allocate(QemuStreamFormat.recordBuffer("rebuild buffer", bufferBytes));
    }

    @Override
    public void opaque(ByteBuffer bytes) throws IOException {
        // Sections begin and end only in opaque bytes (EOS, footer, header), so naming the block on
        // the first record after any opaque bytes names it on the first record of every section:
        // valid whatever the destination's last_recv_block is.
        lastBlock = -1;
        int from = bytes.position();
        int left = bytes.remaining();
        while (left > 0) {
            if (!buf.hasRemaining()) {
                flush();
            }
            int n = Math.min(left, buf.remaining());
            buf.put(buf.position(), bytes, from, n);
            buf.position(buf.position() + n);
            from += n;
            left -= n;
        }
    }

    @Override
    public void layout(RamLayout layout) {
        if (this.layout != null && !this.layout.equals(layout)) {
            throw new IllegalStateException("RAM layout " + layout + " after " + this.layout);
        }
        this.layout = layout;
    }

    @Override
    public void page(int page, ByteBuffer bytes) throws IOException {
        if (bytes.remaining() != PAGE_SIZE) {
            throw new IllegalArgumentException("page " + page + " of " + bytes.remaining() + " bytes, expected " + PAGE_SIZE);
        }
        header(page, FLAG_PAGE, PAGE_SIZE);
        buf.put(buf.position(), bytes, bytes.position(), PAGE_SIZE);
        buf.position(buf.position() + PAGE_SIZE);
        pageRecords++;
    }

    @Override
    public void zero(int page) throws IOException {
        header(page, FLAG_ZERO, 1);
        buf.put((byte) 0); // the fill byte; QEMU 10.x refuses any other
        zeroRecords++;
    }

    /** The record's be64 (offset in block | flags) and, unless it continues the last block, the block's idstr. */
    private void header(int page, int flag, int bodyBytes) throws IOException {
        if (layout == null) {
            throw new IllegalStateException("a record for page " + page + " before the RAM layout");
        }
        int b = layout.blockOf(page);
        RamBlock block = layout.block(b);
        byte[] id = layout.idBytes(b);
        boolean cont = b == lastBlock;
        int need = 8 + (cont ? 0 : 1 + id.length) + bodyBytes;
        if (buf.remaining() < need) {
            flush();
        }
        long offset = (long) (page - block.firstPage()) << PAGE_BITS;
        buf.putLong(offset | flag | (cont ? FLAG_CONTINUE : 0));
        if (!cont) {
            buf.put((byte) id.length).put(id);
            lastBlock = b;
        }
    }

    @Override
    public void milestone(StreamMilestone milestone) throws IOException {
        // from the guest's pause on every byte is downtime: nothing waits in the buffer
        flush();
    }

    @Override
    public void end() throws IOException {
        flush();
    }

    /** Writes what is gathered. */
    public void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            bytesWritten += out.write(buf);
        }
        buf.clear();
    }

    public long bytesWritten() {
        return bytesWritten;
    }

    public long pageRecords() {
        return pageRecords;
    }

    public long zeroRecords() {
        return zeroRecords;
    }
}
