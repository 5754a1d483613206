package tern.receiver.stream;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.StreamDigests;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamSink;
import tern.common.wire.Protocol;
import tern.proto.StreamChunk;
import tern.proto.StreamRecordKind;
import tern.receiver.session.ProtocolException;

/**
 * Turns the sender's StreamChunks back into the events of QEMU's stream, for the receiver's
 * recording sink in front of the {@link StreamRebuilder}. A chunk is checked whole before any of
 * it is written (invariant 4): known record kinds, counts that match, page indexes in range, a
 * payload of exactly the records' bytes, and the stream's order across chunks (no page after the
 * device state, END last, the sender's root exactly with the DEVICE_STATE record). Then, for the
 * acknowledgement, the digest of each PAGE and ZERO record as this receiver computed it.
 *
 * <p>The payload is copied once into a buffer made for the migration; records are lent to the
 * sink as views of it. Nothing is allocated per record. One thread.
 */
final class StreamChunkDecoder {
    /** Answers the DEVICE_STATE record: the sender's root against this receiver's, before the tail is written. */
    interface RootCheck {
        void check(ByteString senderRoot) throws ProtocolException;
    }

    private final int pageCount;
    private final int maxPayload;
    private final int maxRecords;
    private final ByteBuffer staging;
    private final ByteBuffer view;
    private final byte[] digests;
    private final int digestLength;
    private boolean paused;
    private boolean deviceState;
    private boolean ended;

    StreamChunkDecoder(int pageCount, int maxPayload, int digestLength) {
        this.pageCount = pageCount;
        this.maxPayload = maxPayload;
        this.maxRecords = Protocol.streamChunkRecords(maxPayload);
        this.staging = ByteBuffer.allocate(maxPayload);
        this.view = staging.duplicate();
        this.digestLength = digestLength;
        this.digests = new byte[maxRecords * digestLength];
    }

    boolean ended() {
        return ended;
    }

    /** The stream's GUEST_PAUSED record was applied. */
    boolean paused() {
        return paused;
    }

    /**
     * Checks {@code c}, then hands its records to {@code sink} in order; returns the digests of its
     * PAGE and ZERO records, as {@code table} holds them after each, in the first
     * (records × digest length) bytes of an array reused for every chunk.
     *
     * @throws ProtocolException naming the field, before anything was written, when the chunk is malformed
     * @throws IOException       when the sink (the destination's socket) failed
     */
    byte[] apply(StreamChunk c, StreamSink sink, StreamDigests table, RootCheck root) throws ProtocolException, IOException {
        // Ordering rule (docs/design.md): the whole chunk is checked before its first record is written
        validate(c);
        staging.clear();
        c.getPayload().copyTo(staging);
        ByteString kinds = c.getKinds();
        int payloadAt = 0;
        int indexed = 0;
        int opaque = 0;
        for (int i = 0; i < kinds.size(); i++) {
            switch (kinds.byteAt(i)) {
                case StreamRecordKind.STREAM_OPAQUE_VALUE -> {
                    int n = c.getOpaqueLengths(opaque++);
                    view.limit(payloadAt + n).position(payloadAt);
                    sink.opaque(view);
                    payloadAt += n;
                }
                case StreamRecordKind.STREAM_PAGE_VALUE -> {
                    int page = (int) c.getPageIndexes(indexed);
                    view.limit(payloadAt + QemuStreamFormat.PAGE_SIZE).position(payloadAt);
                    sink.page(page, view);
                    table.copyTo(page, digests, indexed * digestLength);
                    payloadAt += QemuStreamFormat.PAGE_SIZE;
                    indexed++;
                }
                case StreamRecordKind.STREAM_ZERO_VALUE -> {
                    int page = (int) c.getPageIndexes(indexed);
                    sink.zero(page);
                    table.copyTo(page, digests, indexed * digestLength);
                    indexed++;
                }
                case StreamRecordKind.STREAM_GUEST_PAUSED_VALUE -> {
                    paused = true;
                    sink.milestone(StreamMilestone.GUEST_PAUSED);
                }
                case StreamRecordKind.STREAM_DEVICE_STATE_VALUE -> {
                    // Ordering rule (docs/design.md): the roots agree before any byte of the device
                    // state is written, so a destination whose RAM differs can never finish loading
                    root.check(c.getRamRoot());
                    deviceState = true;
                    sink.milestone(StreamMilestone.DEVICE_STATE);
                }
                case StreamRecordKind.STREAM_END_VALUE -> {
                    ended = true;
                    sink.end();
                }
                default -> throw new IllegalStateException("validated record kind changed");
            }
        }
        return digests;
    }

    private void validate(StreamChunk c) throws ProtocolException {
        String where = "stream_chunk " + Long.toUnsignedString(c.getSequence());
        ByteString kinds = c.getKinds();
        int n = kinds.size();
        if (n == 0) {
            throw ProtocolException.invalid(where + ": kinds: an empty chunk");
        }
        if (n > maxRecords) {
            throw ProtocolException.invalid(where + ": kinds: " + n + " records exceed the " + maxRecords
                    + " a chunk of at most " + maxPayload + " payload bytes may hold");
        }
        if (ended) {
            throw ProtocolException.invalid(where + ": a chunk after the one holding STREAM_END");
        }
        boolean sawPaused = paused;
        boolean sawDevice = deviceState;
        int indexed = 0;
        int opaque = 0;
        long payload = 0;
        boolean hasDevice = false;
        for (int i = 0; i < n; i++) {
            int kind = kinds.byteAt(i);
            switch (kind) {
                case StreamRecordKind.STREAM_OPAQUE_VALUE -> {
                    if (opaque >= c.getOpaqueLengthsCount()) {
                        throw ProtocolException.invalid(where + ": opaque_lengths: " + c.getOpaqueLengthsCount()
                                + " entries for more opaque records");
                    }
                    long len = Integer.toUnsignedLong(c.getOpaqueLengths(opaque));
                    if (len == 0) {
                        throw ProtocolException.invalid(where + ": opaque_lengths[" + opaque + "]: 0 bytes");
                    }
                    payload += len;
                    opaque++;
                }
                case StreamRecordKind.STREAM_PAGE_VALUE, StreamRecordKind.STREAM_ZERO_VALUE -> {
                    if (sawDevice) {
                        throw ProtocolException.invalid(where + ": kinds[" + i + "]: a page record after STREAM_DEVICE_STATE");
                    }
                    if (indexed >= c.getPageIndexesCount()) {
                        throw ProtocolException.invalid(where + ": page_indexes: " + c.getPageIndexesCount()
                                + " entries for more page and zero records");
                    }
                    long page = c.getPageIndexes(indexed);
                    if (page < 0 || page >= pageCount) {
                        throw ProtocolException.invalid(where + ": page_indexes[" + indexed + "]: page "
                                + Long.toUnsignedString(page) + " out of range for " + pageCount + " pages of guest RAM");
                    }
                    if (kind == StreamRecordKind.STREAM_PAGE_VALUE) {
                        payload += QemuStreamFormat.PAGE_SIZE;
                    }
                    indexed++;
                }
                case StreamRecordKind.STREAM_GUEST_PAUSED_VALUE -> {
                    if (sawPaused || sawDevice) {
                        throw ProtocolException.invalid(where + ": kinds[" + i + "]: STREAM_GUEST_PAUSED "
                                + (sawPaused ? "a second time" : "after STREAM_DEVICE_STATE"));
                    }
                    sawPaused = true;
                }
                case StreamRecordKind.STREAM_DEVICE_STATE_VALUE -> {
                    if (sawDevice) {
                        throw ProtocolException.invalid(where + ": kinds[" + i + "]: STREAM_DEVICE_STATE a second time");
                    }
                    sawDevice = true;
                    hasDevice = true;
                }
                case StreamRecordKind.STREAM_END_VALUE -> {
                    if (!sawDevice) {
                        throw ProtocolException.invalid(where + ": kinds[" + i + "]: STREAM_END before STREAM_DEVICE_STATE");
                    }
                    if (i != n - 1) {
                        throw ProtocolException.invalid(where + ": kinds[" + i + "]: STREAM_END is not the last record");
                    }
                }
                default -> throw ProtocolException.invalid(where + ": kinds[" + i + "]: unknown record kind " + kind);
            }
        }
        if (indexed != c.getPageIndexesCount()) {
            throw ProtocolException.invalid(where + ": page_indexes: " + c.getPageIndexesCount() + " entries for "
                    + indexed + " page and zero records");
        }
        if (opaque != c.getOpaqueLengthsCount()) {
            throw ProtocolException.invalid(where + ": opaque_lengths: " + c.getOpaqueLengthsCount() + " entries for "
                    + opaque + " opaque records");
        }
        if (payload > maxPayload || c.getPayload().size() != payload) {
            throw ProtocolException.invalid(where + ": payload: " + c.getPayload().size() + " bytes, but the records"
                    + " take " + payload + (payload > maxPayload ? " (more than the hello's max_chunk_bytes "
                    + maxPayload + ")" : ""));
        }
        if (hasDevice != !c.getRamRoot().isEmpty() || (hasDevice && c.getRamRoot().size() != 32)) {
            throw ProtocolException.invalid(where + ": ram_root: " + c.getRamRoot().size() + " bytes; 32 belong exactly"
                    + " with the STREAM_DEVICE_STATE record");
        }
    }
}
