package tern.sender.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.StreamDigests;
import tern.common.wire.ProtoFields;
import tern.common.wire.WireMessage;
import tern.proto.SenderMessage;
import tern.proto.StreamChunk;
import tern.proto.StreamRecordKind;

/**
 * One StreamChunk: consecutive records of QEMU's stream, filled by the {@link StreamChunkEncoder}
 * and kept by the {@link ReplayWindow} until the receiver acknowledged it, so that a resumed link
 * resends exactly these bytes. It writes its own protobuf encoding (a {@code SenderMessage}
 * holding a {@code StreamChunk}, byte for byte what the generated code writes) straight into the
 * transport from arrays made once and reused for every chunk: nothing is allocated per record.
 * Beside the wire fields it keeps, for the acknowledgement, the digest of every PAGE and ZERO
 * record it carries, as forwarded.
 */
final class ChunkSlot implements WireMessage {
    /** The StreamChunk fields {@link #seal} writes: the encoder's test fails when migration.proto has another. */
    static final int[] FIELDS_WRITTEN = {StreamChunk.SEQUENCE_FIELD_NUMBER, StreamChunk.KINDS_FIELD_NUMBER,
            StreamChunk.PAGE_INDEXES_FIELD_NUMBER, StreamChunk.OPAQUE_LENGTHS_FIELD_NUMBER,
            StreamChunk.PAYLOAD_FIELD_NUMBER, StreamChunk.RAM_ROOT_FIELD_NUMBER};

    private final byte[] kinds;
    private final int[] pages;
    private final int[] opaqueLengths;
    private final byte[] payload;
    private final ByteBuffer payloadBuffer;
    private final byte[] digests;
    private final int digestLength;
    private final byte[] root;
    private final byte[] header;
    private final byte[] trailer;
    private int records;
    private int pageRecords;
    private int pageCount;
    private int opaqueCount;
    private int payloadBytes;
    private boolean hasRoot;
    private long sequence;
    private int headerLength;
    private int trailerLength;
    /** Whether the chunk holds the GUEST_PAUSED, DEVICE_STATE or END record. */
    private boolean paused;
    private boolean deviceState;
    private boolean end;

    ChunkSlot(int maxRecords, int maxPayload, int digestLength) {
        this.kinds = new byte[maxRecords];
        this.pages = new int[maxRecords];
        this.opaqueLengths = new int[maxRecords];
        this.payload = new byte[maxPayload];
        this.payloadBuffer = ByteBuffer.wrap(payload);
        this.digestLength = digestLength;
        this.digests = new byte[maxRecords * digestLength];
        this.root = new byte[32];
        // tags and lengths (at most 64 bytes), then per record a kind byte and at most one varint
        // of 5 bytes (a page index or an opaque length, both non-negative ints)
        this.header = new byte[64 + 6 * maxRecords];
        this.trailer = new byte[8 + root.length];
    }

    void reset() {
        records = 0;
        pageRecords = 0;
        pageCount = 0;
        opaqueCount = 0;
        payloadBytes = 0;
        hasRoot = false;
        sequence = 0;
        headerLength = 0;
        trailerLength = 0;
        paused = false;
        deviceState = false;
        end = false;
    }

    boolean recordsFull() {
        return records == kinds.length;
    }

    int payloadRoom() {
        return payload.length - payloadBytes;
    }

    boolean empty() {
        return records == 0;
    }

    int payloadBytes() {
        return payloadBytes;
    }

    /** Appends an opaque record: {@code n} bytes of {@code src} from index {@code from} (its position unchanged). */
    void opaque(ByteBuffer src, int from, int n) {
        src.get(from, payload, payloadBytes, n);
        payloadBytes += n;
        opaqueLengths[opaqueCount++] = n;
        kinds[records++] = (byte) StreamRecordKind.STREAM_OPAQUE_VALUE;
    }

    /**
     * Appends a PAGE record: the page's bytes from {@code bytes} (position unchanged), and its digest
     * as forwarded, the latest version in {@code table}.
     */
    void page(int page, ByteBuffer bytes, StreamDigests table) {
        payloadBuffer.put(payloadBytes, bytes, bytes.position(), QemuStreamFormat.PAGE_SIZE);
        payloadBytes += QemuStreamFormat.PAGE_SIZE;
        pageRecords++;
        indexed(page, StreamRecordKind.STREAM_PAGE_VALUE, table);
    }

    /** Appends a ZERO record, with the zero page's digest (the latest version in {@code table}). */
    void zero(int page, StreamDigests table) {
        indexed(page, StreamRecordKind.STREAM_ZERO_VALUE, table);
    }

    private void indexed(int page, int kind, StreamDigests table) {
        table.copyTo(page, digests, pageCount * digestLength);
        pages[pageCount++] = page;
        kinds[records++] = (byte) kind;
    }

    /** Appends a record without payload: GUEST_PAUSED, DEVICE_STATE or END. */
    void mark(StreamRecordKind kind) {
        kinds[records++] = (byte) kind.getNumber();
        switch (kind) {
            case STREAM_GUEST_PAUSED -> paused = true;
            case STREAM_DEVICE_STATE -> deviceState = true;
            case STREAM_END -> end = true;
            default -> throw new IllegalArgumentException(kind + " carries payload");
        }
    }

    /** The sender's root over its table, final at the DEVICE_STATE record this chunk holds. */
    void root(byte[] ramRoot) {
        System.arraycopy(ramRoot, 0, root, 0, root.length);
        hasRoot = true;
    }

    /** Numbers the chunk and writes its field headers; after this it is only sent, and kept for a resend. */
    void seal(long sequence) {
        this.sequence = sequence;
        int idxBytes = ProtoFields.packedLength(pages, pageCount);
        int lenBytes = ProtoFields.packedLength(opaqueLengths, opaqueCount);
        int rootBytes = hasRoot ? root.length : 0;
        int chunkSize = ProtoFields.varintSize(StreamChunk.SEQUENCE_FIELD_NUMBER, sequence)
                + ProtoFields.delimitedSize(StreamChunk.KINDS_FIELD_NUMBER, records)
                + ProtoFields.delimitedSize(StreamChunk.PAGE_INDEXES_FIELD_NUMBER, idxBytes)
                + ProtoFields.delimitedSize(StreamChunk.OPAQUE_LENGTHS_FIELD_NUMBER, lenBytes)
                + ProtoFields.delimitedSize(StreamChunk.PAYLOAD_FIELD_NUMBER, payloadBytes)
                + ProtoFields.delimitedSize(StreamChunk.RAM_ROOT_FIELD_NUMBER, rootBytes);
        byte[] h = header;
        int pos = ProtoFields.delimited(h, 0, SenderMessage.STREAM_CHUNK_FIELD_NUMBER, chunkSize);
        pos = ProtoFields.varint(h, pos, StreamChunk.SEQUENCE_FIELD_NUMBER, sequence);
        if (records > 0) {
            pos = ProtoFields.delimited(h, pos, StreamChunk.KINDS_FIELD_NUMBER, records);
            System.arraycopy(kinds, 0, h, pos, records);
            pos += records;
        }
        pos = ProtoFields.packed(h, pos, StreamChunk.PAGE_INDEXES_FIELD_NUMBER, pages, pageCount, idxBytes);
        pos = ProtoFields.packed(h, pos, StreamChunk.OPAQUE_LENGTHS_FIELD_NUMBER, opaqueLengths, opaqueCount, lenBytes);
        if (payloadBytes > 0) {
            pos = ProtoFields.delimited(h, pos, StreamChunk.PAYLOAD_FIELD_NUMBER, payloadBytes);
        }
        headerLength = pos;
        trailerLength = 0;
        if (hasRoot) {
            int t = ProtoFields.delimited(trailer, 0, StreamChunk.RAM_ROOT_FIELD_NUMBER, root.length);
            System.arraycopy(root, 0, trailer, t, root.length);
            trailerLength = t + root.length;
        }
    }

    @Override
    public int serializedSize() {
        return headerLength + payloadBytes + trailerLength;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        out.write(header, 0, headerLength);
        out.write(payload, 0, payloadBytes);
        out.write(trailer, 0, trailerLength);
    }

    long sequence() {
        return sequence;
    }

    /** PAGE and ZERO records: the entries of the acknowledgement. */
    int indexedRecords() {
        return pageCount;
    }

    int page(int i) {
        return pages[i];
    }

    byte[] digests() {
        return digests;
    }

    int pageRecords() {
        return pageRecords;
    }

    /** Bytes this chunk keeps for a resend: what the replay budget counts. */
    int keptBytes() {
        return serializedSize();
    }

    boolean paused() {
        return paused;
    }

    boolean deviceState() {
        return deviceState;
    }

    boolean end() {
        return end;
    }
}
