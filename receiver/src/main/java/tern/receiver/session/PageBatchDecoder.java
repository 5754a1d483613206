package tern.receiver.session;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import tern.common.xbzrle.XbzrleCodec;
import tern.common.xbzrle.XbzrleFormatException;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.receiver.image.TargetImage;

/**
 * Checks a whole batch before any of it touches the image, then stores it page by page
 * (invariant 4): a batch with any malformed page stores nothing, and an XBZRLE page is decoded
 * into a scratch buffer and stored only when whole.
 */
final class PageBatchDecoder {
    private final TargetImage image;
    private final int pageSize;
    private final long pageCount;
    private final int maxBatchPages;
    private final Set<PageEncoding> offered;
    private final XbzrleCodec xbzrle;
    private final ByteBuffer scratch;
    private final ByteBuffer staging;
    private final int digestLength;
    private final byte[] digests;

    PageBatchDecoder(TargetImage image, int maxBatchPages, Set<PageEncoding> offered) {
        this.image = image;
        this.pageSize = image.geometry().pageSize();
        this.pageCount = image.geometry().pageCount();
        this.maxBatchPages = maxBatchPages;
        this.offered = EnumSet.copyOf(offered);
        this.xbzrle = new XbzrleCodec(pageSize);
        this.scratch = ByteBuffer.allocateDirect(pageSize);
        this.staging = ByteBuffer.allocateDirect(maxBatchPages * pageSize);
        this.digestLength = image.table().digestLength();
        this.digests = new byte[maxBatchPages * digestLength];
    }

    /**
     * Validates and stores {@code batch}; returns the concatenated digests of the stored pages in
     * the first (pages × digest length) bytes of an array this decoder reuses for every batch.
     */
    byte[] apply(PageBatch batch) throws ProtocolException {
        // Ordering (docs/design.md): the whole batch is checked before its first page is stored.
        ByteBuffer payload = validate(batch);
        int total = payload.limit();
        int n = batch.getPageIndexesCount();
        ByteString encodings = batch.getEncodings();
        int offset = 0;
        for (int i = 0; i < n; ) {
            int page = (int) batch.getPageIndexes(i);
            int len = batch.getPayloadLengths(i);
            switch (encodings.byteAt(i)) {
                case PageEncoding.RAW_VALUE -> {
                    // consecutive RAW pages are consecutive in the payload too: one write for the run
                    int run = 1;
                    while (i + run < n && encodings.byteAt(i + run) == PageEncoding.RAW_VALUE
                            && batch.getPageIndexes(i + run) == page + run) {
                        run++;
                    }
                    payload.limit(offset + run * pageSize).position(offset);
                    image.storeRun(page, run, payload, digests, i * digestLength);
                    payload.limit(total);
                    offset += run * pageSize;
                    i += run;
                    continue;
                }
                case PageEncoding.ZERO_VALUE -> image.storeZero(page, digests, i * digestLength);
                case PageEncoding.XBZRLE_VALUE -> {
                    image.read(page, scratch);
                    try {
                        xbzrle.decode(payload, offset, len, scratch);
                    } catch (XbzrleFormatException e) {
                        // validate() accepted it, so this is a codec bug; still refuse rather than store
                        throw ProtocolException.invalid(where(batch, i) + ": payload: " + e.getMessage());
                    }
                    // stored only now that the scratch page is whole (invariant 4)
                    scratch.clear();
                    image.store(page, scratch, digests, i * digestLength);
                }
                default -> throw new IllegalStateException("validated encoding changed");
            }
            offset += len;
            i++;
        }
        return digests;
    }

    private ByteBuffer validate(PageBatch batch) throws ProtocolException {
        int n = batch.getPageIndexesCount();
        if (n == 0) {
            throw ProtocolException.invalid(where(batch) + ": page_indexes: empty batch");
        }
        if (n > maxBatchPages) {
            throw ProtocolException.invalid(where(batch) + ": page_indexes: " + n
                    + " pages exceed the negotiated max_batch_pages " + maxBatchPages);
        }
        if (batch.getEncodings().size() != n) {
            throw ProtocolException.invalid(where(batch) + ": encodings: " + batch.getEncodings().size()
                    + " entries for " + n + " pages");
        }
        if (batch.getPayloadLengthsCount() != n) {
            throw ProtocolException.invalid(where(batch) + ": payload_lengths: " + batch.getPayloadLengthsCount()
                    + " entries for " + n + " pages");
        }
        ByteBuffer payload = stage(batch);
        long total = 0;
        for (int i = 0; i < n; i++) {
            long page = batch.getPageIndexes(i);
            if (page < 0 || page >= pageCount) {
                throw ProtocolException.invalid(where(batch) + ": page_indexes[" + i + "]: page index "
                        + Long.toUnsignedString(page) + " out of range for an image of " + pageCount + " pages");
            }
            int code = batch.getEncodings().byteAt(i);
            PageEncoding enc = PageEncoding.forNumber(code);
            if (enc == null || enc == PageEncoding.PAGE_ENCODING_UNSPECIFIED) {
                throw ProtocolException.invalid(where(batch, i) + ": encodings[" + i + "]: unknown page encoding " + code);
            }
            if (!offered.contains(enc)) {
                throw ProtocolException.invalid(where(batch, i) + ": encodings[" + i + "]: " + enc
                        + " was not offered in hello.encodings");
            }
            long len = Integer.toUnsignedLong(batch.getPayloadLengths(i));
            boolean ok = switch (enc) {
                case RAW -> len == pageSize;
                case ZERO -> len == 0;
                default -> len <= pageSize;
            };
            if (!ok) {
                throw ProtocolException.invalid(where(batch, i) + ": payload_lengths[" + i + "]: " + len
                        + " bytes is not valid for a " + enc + " page of " + pageSize + " bytes");
            }
            if (enc == PageEncoding.XBZRLE && total + len <= payload.limit()) {
                try {
                    xbzrle.validate(payload, (int) total, (int) len);
                } catch (XbzrleFormatException e) {
                    throw ProtocolException.invalid(where(batch, i) + ": payload: undecodable XBZRLE: " + e.getMessage());
                }
            }
            total += len;
        }
        if (total != payload.limit()) {
            throw ProtocolException.invalid(where(batch) + ": payload: " + payload.limit()
                    + " bytes, but payload_lengths add up to " + total);
        }
        return payload;
    }

    /**
     * Copies the payload once, into a direct buffer kept for the session: it may arrive as a view of
     * the transport's frame-sized buffers, and the image is written from direct memory without the
     * JDK's own intermediate copy. Offsets are then absolute, from 0 at the payload's first byte.
     */
    private ByteBuffer stage(PageBatch batch) throws ProtocolException {
        ByteString p = batch.getPayload();
        if (p.size() > staging.capacity()) {
            throw ProtocolException.invalid(where(batch) + ": payload: " + p.size() + " bytes exceed "
                    + maxBatchPages + " pages of " + pageSize + " bytes");
        }
        staging.clear();
        p.copyTo(staging);
        return staging.flip();
    }

    private static String where(PageBatch batch) {
        return "batch " + Long.toUnsignedString(batch.getSequence());
    }

    private static String where(PageBatch batch, int i) {
        return where(batch) + " page " + Long.toUnsignedString(batch.getPageIndexes(i));
    }
}
