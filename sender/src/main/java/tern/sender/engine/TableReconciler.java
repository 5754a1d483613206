package tern.sender.engine;

import tern.proto.DigestTableChunk;

/**
 * Makes the receiver's digest table, read after a resume, the sender's view of what the receiver
 * holds (invariant 3). A page whose digest differs from the latest version sent did not arrive
 * (its batch was in flight) or was changed behind a restarted receiver: it is dirty again, marked
 * to be counted as resent, and its XBZRLE entry is dropped ({@link PageState#receiverHolds}).
 * Runs on the engine thread, like the loop; needs the sent digests and the resend marks.
 */
final class TableReconciler {
    private final PageState state;
    private byte[] chunk = new byte[0];
    private long next;
    private long lacking;

    /** @param state with sent digests and resend marks */
    TableReconciler(PageState state) {
        this.state = state;
    }

    /** Before the first chunk of a table. */
    void begin() {
        next = 0;
        lacking = 0;
    }

    /** Applies one chunk; true once the last one ended the table at the last page. */
    boolean apply(DigestTableChunk c) throws MigrationFailure {
        int pages = state.pages;
        int digestLength = state.digestLength;
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
            if (state.sent.digests.matches(p, chunk, at)) {
                state.sent.acknowledged(p);
            } else {
                state.receiverHolds(p, chunk, at);
                state.resendPending.set(p);
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
