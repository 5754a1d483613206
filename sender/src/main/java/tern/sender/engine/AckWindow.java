package tern.sender.engine;

import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;

/**
 * The batches of one stream that are in the transport and not yet acknowledged, oldest first,
 * and the settling of each acknowledgement against what was sent (invariant 3, docs/design.md). One per stream:
 * a lane or a relayed stream has its own.
 *
 * <p>Contract:
 * <ul>
 * <li>Batches on a stream are numbered 1, 2, ...: {@link #add} records batch
 *     {@link #nextSequence()} once it is in the transport, and at most {@code capacity} wait for
 *     their acknowledgement ({@link #full()}).
 * <li>The receiver acknowledges every batch, in the order sent, with one digest per page. Any
 *     other reply, another sequence, or another digest count ends the migration
 *     ({@link MigrationFailure}); nothing is changed then.
 * <li>Settling: for each page whose latest version sent went in the acknowledged batch, an equal
 *     digest confirms it (a skip against that version, provisional while it was in flight, is
 *     final); a different one means the receiver holds something else, and
 *     {@link PageState#receiverHolds} makes the page dirty again and drops its XBZRLE entry. A
 *     page sent again since is left to the later batch's acknowledgement. Without sent digests
 *     (pages not hashed) acknowledgements are only matched.
 * <li>{@link #forgetAll()} is for a new stream after a resume: it empties the window and
 *     numbers from 1 again; the receiver's table must then settle every page
 *     ({@link TableReconciler}).
 * <li>Single-threaded (the engine's). Memory is fixed when made: {@code capacity} batches of
 *     page indexes and one batch of digests; nothing is allocated per batch or acknowledgement.
 * </ul>
 */
final class AckWindow {
    /** Where acknowledgements come from: the {@link ResumingLink}, or a test's queue. */
    interface Replies {
        /** The next reply, waiting for it. */
        ReceiverMessage take() throws Resumed, MigrationFailure, InterruptedException;

        /** The next reply if one has arrived, else null. */
        ReceiverMessage poll() throws Resumed, MigrationFailure, InterruptedException;
    }

    private final PageState state;
    private final InFlight[] ring;
    private final byte[] ackDigests;
    private int head;
    private int inFlight;
    private int nextSequence = 1;
    private long lastAckNanos;

    AckWindow(int capacity, int maxBatchPages, PageState state) {
        this.state = state;
        this.ring = new InFlight[capacity];
        for (int i = 0; i < capacity; i++) {
            ring[i] = new InFlight(maxBatchPages);
        }
        this.ackDigests = new byte[maxBatchPages * state.digestLength];
    }

    boolean full() {
        return inFlight == ring.length;
    }

    boolean empty() {
        return inFlight == 0;
    }

    /** The sequence the next batch sent on this stream carries. */
    int nextSequence() {
        return nextSequence;
    }

    /** The sequence of the last batch sent on this stream; 0 for none. */
    int lastSequence() {
        return nextSequence - 1;
    }

    /** When the last acknowledgement was settled ({@link System#nanoTime()}); 0 before the first. */
    long lastAckNanos() {
        return lastAckNanos;
    }

    /** Records batch {@code sequence}, carrying the first {@code count} of {@code pages}, as in the transport. */
    void add(int sequence, int[] pages, int count) {
        if (full() || sequence != nextSequence) {
            throw new IllegalStateException("batch " + sequence + " added to a window expecting " + nextSequence
                    + (full() ? ", full" : ""));
        }
        InFlight f = ring[(head + inFlight) % ring.length];
        f.sequence = sequence;
        f.count = count;
        System.arraycopy(pages, 0, f.pages, 0, count);
        inFlight++;
        nextSequence++;
    }

    /**
     * Settles the acknowledgement of the oldest batch in flight.
     *
     * @return the pages it made dirty again (acknowledgement mismatches)
     */
    int onAck(ReceiverMessage m) throws MigrationFailure {
        if (!m.hasAck()) {
            throw new MigrationFailure("receiver sent " + m.getKindCase() + " while batches were in flight");
        }
        BatchAck a = m.getAck();
        InFlight f = ring[head];
        if (inFlight == 0 || a.getSequence() != f.sequence) {
            throw new MigrationFailure("receiver acknowledged batch " + a.getSequence() + ", expected "
                    + (inFlight == 0 ? "none" : Integer.toString(f.sequence)));
        }
        int digestLength = state.digestLength;
        if (a.getDigests().size() != f.count * digestLength) {
            throw new MigrationFailure("receiver's acknowledgement of batch " + f.sequence + " has "
                    + a.getDigests().size() + " digest bytes for " + f.count + " pages");
        }
        int mismatches = 0;
        SentPages sent = state.sent;
        if (sent != null) {
            a.getDigests().copyTo(ackDigests, 0); // the acknowledgement is the transport's buffer until the next take
            for (int i = 0; i < f.count; i++) {
                int p = f.pages[i];
                // Ordering rule (docs/design.md), invariant 3: a skip against a version in flight is
                // settled here, by that version's acknowledgement, and only by the latest version's.
                if (!sent.latestIn(p, f.sequence)) {
                    continue; // a later version is in flight; its own acknowledgement settles the page
                }
                if (sent.digests.matches(p, ackDigests, i * digestLength)) {
                    sent.acknowledged(p);
                } else {
                    // the receiver stored something other than what was sent: the page goes again
                    state.receiverHolds(p, ackDigests, i * digestLength);
                    mismatches++;
                }
            }
        }
        head = (head + 1) % ring.length;
        inFlight--;
        lastAckNanos = System.nanoTime();
        return mismatches;
    }

    /** Settles acknowledgements until a batch more fits; returns the pages they made dirty again. */
    int awaitRoom(Replies replies) throws Resumed, MigrationFailure, InterruptedException {
        int mismatches = 0;
        while (full()) {
            mismatches += onAck(replies.take());
        }
        return mismatches;
    }

    /** Settles the acknowledgements that have arrived, without waiting; returns the pages they made dirty again. */
    int settleArrived(Replies replies) throws Resumed, MigrationFailure, InterruptedException {
        int mismatches = 0;
        ReceiverMessage m;
        while ((m = replies.poll()) != null) {
            mismatches += onAck(m);
        }
        return mismatches;
    }

    /** Settles acknowledgements until none is awaited; returns the pages they made dirty again. */
    int drain(Replies replies) throws Resumed, MigrationFailure, InterruptedException {
        int mismatches = 0;
        while (!empty()) {
            mismatches += onAck(replies.take());
        }
        return mismatches;
    }

    /**
     * Forgets every batch in flight: the stream they went on is gone. Their pages' XBZRLE entries
     * are dropped (a delta must be taken against what the receiver holds, and these may not have
     * arrived); the receiver's table then says which did ({@link TableReconciler}).
     */
    void forgetAll() {
        if (state.cache != null) {
            for (int i = 0; i < inFlight; i++) {
                InFlight f = ring[(head + i) % ring.length];
                for (int j = 0; j < f.count; j++) {
                    state.cache.invalidate(f.pages[j]);
                }
            }
        }
        head = 0;
        inFlight = 0;
        nextSequence = 1;
    }

    /** A batch handed to the transport and not yet acknowledged; reused, so nothing is allocated per batch. */
    private static final class InFlight {
        final int[] pages;
        int sequence;
        int count;

        InFlight(int maxPages) {
            this.pages = new int[maxPages];
        }
    }
}
