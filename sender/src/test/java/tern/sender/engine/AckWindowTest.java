package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.junit.jupiter.api.Test;
import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;
import tern.proto.Verdict;

/** The window of batches in flight: acknowledgements in order, settled against what was sent (invariant 3). */
class AckWindowTest {
    static final int PAGES = 8;
    static final int LEN = 4;
    static final int PAGE_SIZE = 4096;

    final SentPages sent = new SentPages(PAGES, LEN);
    final XbzrleCache cache = new XbzrleCache((long) PAGES * PAGE_SIZE, PAGE_SIZE);
    final PageState state = new PageState(PAGES, LEN, sent, cache, null);
    final AckWindow window = new AckWindow(2, 4, state);

    static byte[] digest(int v) {
        return new byte[] {(byte) v, 0, 0, 1};
    }

    /** Sends batch {@code window.nextSequence()} of {@code pages}, each with digest = its index, cached for XBZRLE. */
    int send(int... pages) {
        int seq = window.nextSequence();
        for (int p : pages) {
            sent.sent(p, digest(p), 0, seq);
            cache.put(p, ByteBuffer.allocate(PAGE_SIZE));
        }
        window.add(seq, pages, pages.length);
        return seq;
    }

    static ReceiverMessage ack(long sequence, int... digests) {
        byte[] b = new byte[digests.length * LEN];
        for (int i = 0; i < digests.length; i++) {
            System.arraycopy(digest(digests[i]), 0, b, i * LEN, LEN);
        }
        return ReceiverMessage.newBuilder()
                .setAck(BatchAck.newBuilder().setSequence(sequence).setDigests(ByteString.copyFrom(b))).build();
    }

    /** Replies from a queue, as the link would give them. */
    static final class Queue implements AckWindow.Replies {
        final ArrayDeque<ReceiverMessage> q = new ArrayDeque<>();

        @Override
        public ReceiverMessage take() {
            return q.remove();
        }

        @Override
        public ReceiverMessage poll() {
            return q.poll();
        }
    }

    @Test
    void acknowledgementsSettleTheirBatchesInOrder() throws Exception {
        assertEquals(1, send(0, 1));
        assertEquals(2, send(2));
        assertTrue(window.full());
        assertEquals(2, window.lastSequence());
        assertEquals(0, window.onAck(ack(1, 0, 1)));
        assertFalse(sent.latestIn(0, 1), "acknowledged");
        assertTrue(sent.latestIn(2, 2), "still in flight");
        assertEquals(0, window.onAck(ack(2, 2)));
        assertTrue(window.empty());
        assertFalse(state.bitmap.get(0) || state.bitmap.get(1) || state.bitmap.get(2), "nothing dirty again");
        assertNotNull(cache.get(0), "an agreeing acknowledgement keeps the XBZRLE entry");
        assertTrue(window.lastAckNanos() > 0);
    }

    @Test
    void anAcknowledgementOutOfOrderIsRefusedAndChangesNothing() throws Exception {
        send(0);
        send(1);
        MigrationFailure f = assertThrows(MigrationFailure.class, () -> window.onAck(ack(2, 1)));
        assertEquals("receiver acknowledged batch 2, expected 1", f.getMessage());
        assertTrue(window.full(), "both batches still in flight");
        assertTrue(sent.latestIn(1, 2));
        MigrationFailure count = assertThrows(MigrationFailure.class, () -> window.onAck(ack(1, 0, 0)));
        assertTrue(count.getMessage().contains("has 8 digest bytes for 1 pages"), count.getMessage());
        MigrationFailure kind = assertThrows(MigrationFailure.class,
                () -> window.onAck(ReceiverMessage.newBuilder().setVerdict(Verdict.newBuilder().setOk(true)).build()));
        assertTrue(kind.getMessage().contains("VERDICT while batches were in flight"), kind.getMessage());
        window.onAck(ack(1, 0));
        window.onAck(ack(2, 1));
        MigrationFailure none = assertThrows(MigrationFailure.class, () -> window.onAck(ack(3, 1)));
        assertEquals("receiver acknowledged batch 3, expected none", none.getMessage());
    }

    /**
     * A page skipped because its bytes equal a version still in flight (nothing is recorded for a
     * skip) is dirty again when that version's acknowledgement shows the receiver stored something else.
     */
    @Test
    void aProvisionalSkipIsUndoneByAnAcknowledgementThatDiffers() throws Exception {
        send(3, 4);
        // the loop skips page 3 here (same digest as batch 1's version) and clears its bit
        assertEquals(1, window.onAck(ack(1, 99, 4)), "one page made dirty again");
        assertTrue(state.bitmap.get(3), "dirty again: the skip was provisional");
        assertFalse(state.bitmap.get(4));
        assertTrue(sent.digests.matches(3, digest(99), 0), "the receiver's version is the latest it holds");
        assertFalse(sent.latestIn(3, 1));
        assertNull(cache.get(3), "no delta against a version the receiver does not hold");
        assertNotNull(cache.get(4));
    }

    @Test
    void aPageSentAgainIsSettledByItsLatestBatchOnly() throws Exception {
        send(5);
        send(5);
        assertEquals(0, window.onAck(ack(1, 77)), "batch 1 no longer carries the latest version of page 5");
        assertFalse(state.bitmap.get(5));
        assertEquals(1, window.onAck(ack(2, 77)));
        assertTrue(state.bitmap.get(5));
    }

    @Test
    void drainAndAwaitRoomTakeAcknowledgementsFromTheReplies() throws Exception {
        Queue replies = new Queue();
        send(0);
        send(1);
        replies.q.add(ack(1, 50));
        replies.q.add(ack(2, 1));
        assertEquals(1, window.awaitRoom(replies), "one acknowledgement made room");
        assertFalse(window.full());
        assertEquals(0, window.settleArrived(replies));
        assertTrue(window.empty());
        send(2);
        replies.q.add(ack(3, 2));
        assertEquals(0, window.drain(replies));
        assertTrue(window.empty());
        assertTrue(replies.q.isEmpty());
    }

    @Test
    void forgetAllStartsANewStream() throws Exception {
        send(6);
        send(7);
        window.forgetAll();
        assertTrue(window.empty());
        assertEquals(1, window.nextSequence(), "the new stream numbers from 1");
        assertEquals(0, window.lastSequence());
        assertNull(cache.get(6), "unacknowledged: no delta against it");
        assertNull(cache.get(7));
        assertThrows(IllegalStateException.class, () -> window.add(3, new int[] {0}, 1), "a stale sequence");
        assertEquals(1, send(0));
        assertEquals(0, window.onAck(ack(1, 0)));
        assertTrue(window.empty());
    }
}
