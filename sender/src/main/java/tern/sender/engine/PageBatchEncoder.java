package tern.sender.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import tern.common.wire.ProtoFields;
import tern.common.wire.WireMessage;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.SenderMessage;

/**
 * Packs pages into one batch: indexes, one encoding byte each, payload lengths, and the payloads
 * concatenated in one reusable buffer. It writes the batch's protobuf encoding (a
 * {@code SenderMessage} holding a {@code PageBatch}, byte for byte what the generated code would
 * write) itself, straight into the transport: the packed fields go through a reusable header
 * array and the payload is copied once, by the transport. Nothing is allocated per page (the
 * generated builders left about 110 bytes of garbage per page).
 */
final class PageBatchEncoder implements WireMessage {
    /** The PageBatch fields {@link #message} writes: PageBatchEncoderTest fails when migration.proto has another. */
    static final int[] FIELDS_WRITTEN = {PageBatch.SEQUENCE_FIELD_NUMBER, PageBatch.ITERATION_FIELD_NUMBER,
            PageBatch.PAGE_INDEXES_FIELD_NUMBER, PageBatch.ENCODINGS_FIELD_NUMBER, PageBatch.PAYLOAD_LENGTHS_FIELD_NUMBER,
            PageBatch.PAYLOAD_FIELD_NUMBER};

    private final int maxPages;
    private final int pageSize;
    private final int[] pages;
    private final byte[] encodings;
    private final int[] lengths;
    private final byte[] payload;
    private final ByteBuffer payloadBuffer;
    private final byte[] header;
    private int count;
    private int bytes;
    private int headerLength;

    PageBatchEncoder(int maxPages, int pageSize) {
        this.maxPages = maxPages;
        this.pageSize = pageSize;
        this.pages = new int[maxPages];
        this.encodings = new byte[maxPages];
        this.lengths = new int[maxPages];
        this.payload = new byte[maxPages * pageSize];
        this.payloadBuffer = ByteBuffer.wrap(payload);
        // Tags and lengths (at most 64 bytes) plus, per page, an index and a length (5 bytes each
        // as varints of a non-negative int) and an encoding byte.
        this.header = new byte[64 + 11 * maxPages];
    }

    boolean full() {
        return count == maxPages;
    }

    boolean empty() {
        return count == 0;
    }

    int count() {
        return count;
    }

    int page(int i) {
        return pages[i];
    }

    /** The pages added, in order: the first {@link #count()} entries; valid until {@link #reset}. */
    int[] pageIndexes() {
        return pages;
    }

    int payloadBytes() {
        return bytes;
    }

    /** Where the next page's payload goes: {@code pageSize} bytes of room from the buffer's position. */
    ByteBuffer payloadTail() {
        payloadBuffer.limit(bytes + pageSize).position(bytes);
        return payloadBuffer;
    }

    byte[] payloadArray() {
        return payload;
    }

    int payloadOffset() {
        return bytes;
    }

    /** Adds a page whose {@code length} payload bytes were written at {@link #payloadOffset()}. */
    void add(int page, PageEncoding encoding, int length) {
        pages[count] = page;
        encodings[count] = (byte) encoding.getNumber();
        lengths[count] = length;
        count++;
        bytes += length;
    }

    /**
     * Makes this the batch message {@code sequence} of {@code iteration}, ready for the channel to
     * write; valid until the next {@link #add} or {@link #reset}.
     */
    WireMessage message(long sequence, int iteration) {
        int idxBytes = ProtoFields.packedLength(pages, count);
        int lenBytes = ProtoFields.packedLength(lengths, count);
        int batchSize = ProtoFields.varintSize(PageBatch.SEQUENCE_FIELD_NUMBER, sequence)
                + ProtoFields.varintSize(PageBatch.ITERATION_FIELD_NUMBER, iteration)
                + ProtoFields.delimitedSize(PageBatch.PAGE_INDEXES_FIELD_NUMBER, idxBytes)
                + ProtoFields.delimitedSize(PageBatch.ENCODINGS_FIELD_NUMBER, count)
                + ProtoFields.delimitedSize(PageBatch.PAYLOAD_LENGTHS_FIELD_NUMBER, lenBytes)
                + ProtoFields.delimitedSize(PageBatch.PAYLOAD_FIELD_NUMBER, bytes);
        byte[] h = header;
        int pos = ProtoFields.delimited(h, 0, SenderMessage.BATCH_FIELD_NUMBER, batchSize);
        pos = ProtoFields.varint(h, pos, PageBatch.SEQUENCE_FIELD_NUMBER, sequence);
        pos = ProtoFields.varint(h, pos, PageBatch.ITERATION_FIELD_NUMBER, iteration);
        pos = ProtoFields.packed(h, pos, PageBatch.PAGE_INDEXES_FIELD_NUMBER, pages, count, idxBytes);
        if (count > 0) {
            pos = ProtoFields.delimited(h, pos, PageBatch.ENCODINGS_FIELD_NUMBER, count);
            System.arraycopy(encodings, 0, h, pos, count);
            pos += count;
        }
        pos = ProtoFields.packed(h, pos, PageBatch.PAYLOAD_LENGTHS_FIELD_NUMBER, lengths, count, lenBytes);
        if (bytes > 0) {
            pos = ProtoFields.delimited(h, pos, PageBatch.PAYLOAD_FIELD_NUMBER, bytes);
        }
        headerLength = pos;
        return this;
    }

    @Override
    public int serializedSize() {
        return headerLength + bytes;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        out.write(header, 0, headerLength);
        out.write(payload, 0, bytes);
    }

    void reset() {
        count = 0;
        bytes = 0;
        headerLength = 0;
    }
}
