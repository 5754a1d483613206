package tern.sender.engine;

import java.nio.ByteBuffer;
import tern.common.page.PageBitmap;
import tern.common.page.PageGeometry;

/**
 * The engine's per-page state, owned by its one thread, so no page needs a lock: the migration
 * bitmap, what the receiver was sent (null when pages are not hashed and nothing can resume), the
 * XBZRLE cache (null without --xbzrle), and the pages a resume found missing (null without
 * resume). Whoever learns that the receiver holds another version of a page says so through
 * {@link #receiverHolds}: the {@link AckWindow}, the {@link TableReconciler}, the {@link Completion}.
 */
final class PageState {
    final int pages;
    final int digestLength;
    final PageBitmap bitmap;
    final SentPages sent;
    final XbzrleCache cache;
    /** Pages a resume found the receiver lacking; counted as resent when next sent. */
    final PageBitmap resendPending;

    PageState(int pages, int digestLength, SentPages sent, XbzrleCache cache, PageBitmap resendPending) {
        this.pages = pages;
        this.digestLength = digestLength;
        this.bitmap = new PageBitmap(pages);
        this.sent = sent;
        this.cache = cache;
        this.resendPending = resendPending;
    }

    /**
     * The state before a migration of {@code g} into a new image.
     *
     * @param keepSent keep the digest of the latest version sent of each page
     * @param resumes  a resume may find pages missing
     */
    static PageState forNewImage(PageGeometry g, EngineConfig cfg, boolean keepSent, boolean resumes) {
        int length = cfg.digest().length();
        SentPages sent = null;
        if (keepSent) {
            sent = new SentPages(g.pages(), length);
            // A new image holds zero pages: that is the latest version the receiver has of each.
            byte[] zero = new byte[length];
            cfg.digest().newDigest().digest(ByteBuffer.allocate(g.pageSize()), zero, 0);
            sent.digests.fill(zero);
        }
        return new PageState(g.pages(), length, sent,
                cfg.xbzrle() ? new XbzrleCache(cfg.xbzrleCacheBytes(), g.pageSize()) : null,
                resumes ? new PageBitmap(g.pages()) : null);
    }

    /** Whether a resume found {@code page} missing since it was last captured; the mark is taken off. */
    boolean takeResendMark(int page) {
        if (resendPending == null || !resendPending.get(page)) {
            return false;
        }
        resendPending.clear(page);
        return true;
    }

    /**
     * The receiver holds a version of {@code page} other than the latest sent, as its
     * acknowledgement, its resync or its table shows (invariant 3): {@code digest} is now the
     * version it has, the page is dirty again, and its XBZRLE entry goes, since a delta must be
     * taken against what the receiver holds.
     */
    void receiverHolds(int page, byte[] digest, int offset) {
        if (sent != null) {
            sent.receiverHolds(page, digest, offset);
        }
        if (cache != null) {
            cache.invalidate(page);
        }
        bitmap.set(page);
    }
}
