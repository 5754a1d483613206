package tern.sender.engine;

import tern.common.page.PageBitmap;
import tern.proto.DigestTableChunk;

/**
 * Makes the receiver's digest table, read after a resume, the sender's view of what the receiver
 * holds (invariant 3). A page whose digest differs from the latest version sent did not arrive
 * (its batch was in flight) or was changed behind a restarted receiver: it is dirty again, marked
 * to be counted as resent, and its XBZRLE entry is dropped, since a delta must be taken against
 * what the receiver holds. Runs on the engine thread, like the loop.
 */
final class TableReconciler {
    private final int pages;
    private final int digestLength;
    private final SentPages sent;
    private final PageBitmap bitmap;
    private final PageBitmap resendPending;
    private final XbzrleCache cache;
    private byte[] chunk = new byte[0];
    private long next;
    private long lacking;

    TableReconciler(int pages, int digestLength, SentPages sent, PageBitmap bitmap, PageBitmap resendPending,
                    XbzrleCache cache) {
        this.pages = pages;
        this.digestLength = digestLength;
        this.sent = sent;
        this.bitmap = bitmap;
        this.resendPending = resendPending;
        this.cache = cache;
    }

    /** Before the first chunk of a table. */
    void begin() {
        next = 0;
        lacking = 0;
    }

    /** Applies one chunk; true once the last one ended the table at the last page. */
    boolean apply(DigestTableChunk c) throws MigrationFailure {
        int bytes = c.getDigests().size();
        if (c.getFirstPage() != next || bytes % digestLength != 0 || next + bytes / digestLength > pages) {
            throw new MigrationFailure("receiver's digest table chunk at page " + c.getFirstPage() + " ("
                    + bytes + " bytes) does not continue page " + next + " of " + pages);
        }
        if (chunk.length < bytes) {
            chunk = new byte[bytes];
        }
        c.getDigests().copyTo(chunk, 0);
        int first = (int) next;
        for (int i = 0; i < bytes / digestLength; i++) {
            int p = first + i;
            int at = i * digestLength;
            if (sent.digests.matches(p, chunk, at)) {
                sent.acknowledged(p);
            } else {
                sent.receiverHolds(p, chunk, at);
                bitmap.set(p);
                resendPending.set(p);
                if (cache != null) {
                    cache.invalidate(p);
                }
                lacking++;
            }
        }
        next += bytes / digestLength;
        if (!c.getLast()) {
            return false;
        }
        if (next != pages) {
            throw new MigrationFailure("receiver's digest table ends at page " + next + " of " + pages);
        }
        return true;
    }

    /** Pages of the table applied so far that the receiver lacks. */
    long lacking() {
        return lacking;
    }
}
