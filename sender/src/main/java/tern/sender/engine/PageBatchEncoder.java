package tern.sender.engine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import tern.common.wire.Varints;
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
        int idxBytes = 0;
        int lenBytes = 0;
        for (int i = 0; i < count; i++) {
            idxBytes += Varints.size(pages[i]);
            lenBytes += Varints.size(lengths[i]);
        }
        int batchSize = field(PageBatch.SEQUENCE_FIELD_NUMBER, sequence == 0 ? -1 : Varints.size(sequence), false)
                + field(PageBatch.ITERATION_FIELD_NUMBER, iteration == 0 ? -1 : Varints.size(iteration), false)
                + field(PageBatch.PAGE_INDEXES_FIELD_NUMBER, count == 0 ? -1 : idxBytes, true)
                + field(PageBatch.ENCODINGS_FIELD_NUMBER, count == 0 ? -1 : count, true)
                + field(PageBatch.PAYLOAD_LENGTHS_FIELD_NUMBER, count == 0 ? -1 : lenBytes, true)
                + field(PageBatch.PAYLOAD_FIELD_NUMBER, bytes == 0 ? -1 : bytes, true);
        byte[] h = header;
        int pos = Varints.tag(h, 0, SenderMessage.BATCH_FIELD_NUMBER, Varints.LEN);
        pos = Varints.put(h, pos, batchSize);
        if (sequence != 0) {
            pos = Varints.tag(h, pos, PageBatch.SEQUENCE_FIELD_NUMBER, Varints.VARINT);
            pos = Varints.put(h, pos, sequence);
        }
        if (iteration != 0) {
            pos = Varints.tag(h, pos, PageBatch.ITERATION_FIELD_NUMBER, Varints.VARINT);
            pos = Varints.put(h, pos, iteration);
        }
        if (count > 0) {
            pos = Varints.tag(h, pos, PageBatch.PAGE_INDEXES_FIELD_NUMBER, Varints.LEN);
            pos = Varints.put(h, pos, idxBytes);
            for (int i = 0; i < count; i++) {
                pos = Varints.put(h, pos, pages[i]);
            }
            pos = Varints.tag(h, pos, PageBatch.ENCODINGS_FIELD_NUMBER, Varints.LEN);
            pos = Varints.put(h, pos, count);
            System.arraycopy(encodings, 0, h, pos, count);
            pos += count;
            pos = Varints.tag(h, pos, PageBatch.PAYLOAD_LENGTHS_FIELD_NUMBER, Varints.LEN);
            pos = Varints.put(h, pos, lenBytes);
            for (int i = 0; i < count; i++) {
                pos = Varints.put(h, pos, lengths[i]);
            }
        }
        if (bytes > 0) {
            pos = Varints.tag(h, pos, PageBatch.PAYLOAD_FIELD_NUMBER, Varints.LEN);
            pos = Varints.put(h, pos, bytes);
        }
        headerLength = pos;
        return this;
    }

    /** Bytes of a field with {@code body} bytes of content (-1: absent); length-prefixed or a varint's own bytes. */
    private static int field(int number, int body, boolean delimited) {
        if (body < 0) {
            return 0;
        }
        return Varints.tagSize(number) + (delimited ? Varints.size(body) : 0) + body;
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
