package tern.sender.engine;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.SenderMessage;

/**
 * Packs pages into one batch message: indexes, one encoding byte each, payload lengths, and the
 * payloads concatenated in one reusable buffer that the message wraps without copying (the
 * transport copies it once, when the message is written). Nothing is allocated per page.
 */
final class PageBatchEncoder {
    private final int maxPages;
    private final int pageSize;
    private final int[] pages;
    private final byte[] encodings;
    private final int[] lengths;
    private final byte[] payload;
    private final ByteBuffer payloadBuffer;
    private int count;
    private int bytes;

    PageBatchEncoder(int maxPages, int pageSize) {
        this.maxPages = maxPages;
        this.pageSize = pageSize;
        this.pages = new int[maxPages];
        this.encodings = new byte[maxPages];
        this.lengths = new int[maxPages];
        this.payload = new byte[maxPages * pageSize];
        this.payloadBuffer = ByteBuffer.wrap(payload);
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

    SenderMessage build(long sequence, int iteration) {
        PageBatch.Builder b = PageBatch.newBuilder().setSequence(sequence).setIteration(iteration);
        for (int i = 0; i < count; i++) {
            b.addPageIndexes(pages[i]);
            b.addPayloadLengths(lengths[i]);
        }
        b.setEncodings(ByteString.copyFrom(encodings, 0, count));
        b.setPayload(UnsafeByteOperations.unsafeWrap(payload, 0, bytes));
        return SenderMessage.newBuilder().setBatch(b).build();
    }

    void reset() {
        count = 0;
        bytes = 0;
    }
}
