package tern.sender.engine;

import tern.common.digest.DigestTable;

/**
 * What the sender knows of the receiver, page by page: the digest of the latest version sent, and
 * the batch that carried it while it is unacknowledged (0 once acknowledged). A skip against an
 * in-flight version is provisional (invariant 3): its acknowledgement settles it.
 * Memory: digest length + 4 bytes per page (0.5-0.9 % of 4 KiB pages).
 */
final class SentPages {
    final DigestTable digests;
    private final int[] inFlightBatch;

    SentPages(int pages, int digestLength) {
        this.digests = new DigestTable(pages, digestLength);
        this.inFlightBatch = new int[pages];
    }

    void sent(int page, byte[] digest, int offset, int batch) {
        digests.set(page, digest, offset);
        inFlightBatch[page] = batch;
    }

    /** Whether {@code batch} carried the latest version of {@code page}. */
    boolean latestIn(int page, int batch) {
        return inFlightBatch[page] == batch;
    }

    void acknowledged(int page) {
        inFlightBatch[page] = 0;
    }

    /** The receiver holds something else: record its digest as the version it has. */
    void receiverHolds(int page, byte[] digest, int offset) {
        digests.set(page, digest, offset);
        inFlightBatch[page] = 0;
    }
}
