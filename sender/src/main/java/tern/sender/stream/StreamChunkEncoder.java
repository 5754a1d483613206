package tern.sender.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Supplier;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamDigests;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamSink;
import tern.proto.StreamRecordKind;

/**
 * The last sink of the sender's relay: packs the records that go on the link (after the skip
 * rule dropped the held pages) into {@link ChunkSlot}s, in stream order, and hands each full one
 * to the {@link Chunks} it came from. Opaque bytes may be split across chunks (the receiver writes
 * them again in order); a page record never is. A chunk also ends at the guest's pause (from then
 * on every byte is downtime), at the device state (which carries the sender's root) and at the
 * end. Nothing is allocated per record: the bytes are copied once, into the slot.
 */
final class StreamChunkEncoder implements StreamSink {
    /** Where chunks come from and go: the relay, which numbers, keeps and sends them. */
    interface Chunks {
        /** An empty slot to fill; may wait until the replay window has room (reading from QEMU waits too). */
        ChunkSlot empty() throws IOException;

        /** A chunk filled: it goes on the link in this order. */
        void full(ChunkSlot chunk) throws IOException;

        /** The sender's root over its table, as of now. */
        byte[] root();
    }

    private final Chunks chunks;
    /** The table of the latest versions forwarded: the digest each record carries for its acknowledgement. */
    private final Supplier<StreamDigests> table;
    private final PassFigures passes;
    private ChunkSlot slot;

    StreamChunkEncoder(Chunks chunks, Supplier<StreamDigests> table, PassFigures passes) throws IOException {
        this.chunks = chunks;
        this.table = table;
        this.passes = passes;
        this.slot = chunks.empty();
    }

    @Override
    public void opaque(ByteBuffer bytes) throws IOException {
        int from = bytes.position();
        int left = bytes.remaining();
        while (left > 0) {
            if (slot.payloadRoom() == 0 || slot.recordsFull()) {
                flush();
            }
            int n = Math.min(left, slot.payloadRoom());
            slot.opaque(bytes, from, n);
            from += n;
            left -= n;
        }
    }

    @Override
    public void layout(RamLayout layout) {
        // the blocks travel in the hello, which the relay sends before the first chunk
    }

    @Override
    public void page(int page, ByteBuffer bytes) throws IOException {
        if (slot.payloadRoom() < QemuStreamFormat.PAGE_SIZE || slot.recordsFull()) {
            flush();
        }
        slot.page(page, bytes, table.get());
        passes.forwardedPage();
    }

    @Override
    public void zero(int page) throws IOException {
        if (slot.recordsFull()) {
            flush();
        }
        slot.zero(page, table.get());
        passes.forwardedZero();
    }

    @Override
    public void milestone(StreamMilestone milestone) throws IOException {
        if (slot.recordsFull()) {
            flush();
        }
        if (milestone == StreamMilestone.GUEST_PAUSED) {
            slot.mark(StreamRecordKind.STREAM_GUEST_PAUSED);
        } else {
            // Ordering rule (docs/design.md): every page record came before this one, so both tables
            // are final here; the receiver checks the roots before it writes any device state.
            slot.mark(StreamRecordKind.STREAM_DEVICE_STATE);
            slot.root(chunks.root());
        }
        flush();
    }

    @Override
    public void end() throws IOException {
        if (slot.recordsFull()) {
            flush();
        }
        slot.mark(StreamRecordKind.STREAM_END);
        chunks.full(slot);
        slot = null;
    }

    /** Payload bytes in the chunk being filled. */
    long pendingBytes() {
        return slot == null ? 0 : slot.payloadBytes();
    }

    /** Hands over the chunk being filled, if it holds anything: QEMU has nothing more to read just now. */
    void flush() throws IOException {
        if (slot != null && !slot.empty()) {
            chunks.full(slot);
            slot = chunks.empty();
        }
    }
}
