package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import tern.common.page.PageBitmap;
import tern.proto.DigestTableChunk;

/** The sender's side of a resume: the receiver's table decides which pages go again, and a malformed one is refused. */
class TableReconcilerTest {
    static final int PAGES = 8;
    static final int LEN = 4;

    final SentPages sent = new SentPages(PAGES, LEN);
    final PageBitmap resend = new PageBitmap(PAGES);
    final PageState state = new PageState(PAGES, LEN, sent, null, resend);
    final PageBitmap bitmap = state.bitmap;
    final TableReconciler r = new TableReconciler(state);

    static byte[] digest(int v) {
        return new byte[] {(byte) v, 0, 0, 1};
    }

    static DigestTableChunk chunk(long first, boolean last, int... values) {
        byte[] b = new byte[values.length * LEN];
        for (int i = 0; i < values.length; i++) {
            System.arraycopy(digest(values[i]), 0, b, i * LEN, LEN);
        }
        return DigestTableChunk.newBuilder().setFirstPage(first).setDigests(ByteString.copyFrom(b)).setLast(last).build();
    }

    @Test
    void pagesTheTableShowsMissingGoAgainAndTheRestIsSettled() throws Exception {
        for (int p = 0; p < PAGES; p++) {
            sent.sent(p, digest(p), 0, 7); // in flight in batch 7
        }
        r.begin();
        assertFalse(r.apply(chunk(0, false, 0, 1, 99, 3)));
        assertTrue(r.apply(chunk(4, true, 4, 98, 6, 7)));
        assertEquals(2, r.lacking());
        for (int p = 0; p < PAGES; p++) {
            boolean missing = p == 2 || p == 5;
            assertEquals(missing, bitmap.get(p), "dirty again: page " + p);
            assertEquals(missing, resend.get(p), "counted as resent when sent: page " + p);
            assertFalse(sent.latestIn(p, 7), "no page waits for batch 7's acknowledgement any more");
        }
        assertTrue(sent.digests.matches(2, digest(99), 0), "the receiver's version is the latest it holds");
    }

    @Test
    void aMalformedTableIsRefused() throws Exception {
        r.begin();
        assertThrows(MigrationFailure.class, () -> r.apply(chunk(1, false, 0)), "a gap before the first chunk");
        r.begin();
        r.apply(chunk(0, false, 0, 1));
        assertThrows(MigrationFailure.class, () -> r.apply(chunk(3, false, 3)), "a gap between chunks");
        r.begin();
        assertThrows(MigrationFailure.class, () -> r.apply(chunk(0, true, 0, 1, 2)), "ends before the last page");
        r.begin();
        assertThrows(MigrationFailure.class, () -> r.apply(chunk(0, true, 0, 1, 2, 3, 4, 5, 6, 7, 8)), "runs past it");
        r.begin();
        DigestTableChunk ragged = DigestTableChunk.newBuilder().setFirstPage(0).setDigests(ByteString.copyFrom(new byte[5]))
                .setLast(true).build();
        assertThrows(MigrationFailure.class, () -> r.apply(ragged), "not a whole number of digests");
    }
}
