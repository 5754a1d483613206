package tern.sender.stream;

import java.util.ArrayDeque;
import java.util.Arrays;
import tern.common.qemu.stream.StreamDigests;
import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;
import tern.sender.engine.MigrationFailure;

/**
 * The chunks of a relayed QEMU stream that the receiver has not acknowledged, oldest first, kept
 * byte for byte because QEMU's stream cannot be read twice: a resumed link resends them, in order,
 * from the receiver's position. Sequences run over the whole migration, not per stream.
 *
 * <p>Contract:
 * <ul>
 * <li>At most {@code capacity} chunks are kept ({@link #full()}); the relay reads nothing more
 *     from QEMU until an acknowledgement frees one. The slots are made as needed, at most
 *     capacity + 1 (the one being filled), and reused: nothing is allocated per chunk.
 * <li>{@link #add} numbers a chunk 1, 2, ... and keeps it as not yet sent; {@link #markSent}
 *     records that the oldest unsent one is in the transport.
 * <li>The receiver acknowledges every chunk, in order, with the digest of each PAGE and ZERO
 *     record it wrote into the destination ({@link #onAck}). Another sequence or another count
 *     ends the migration. A digest that differs from the one forwarded makes that page unknown to
 *     the sender's table ({@link StreamDigests#distrust}), unless a later version went on since.
 * <li>{@link #resumeFrom} is for a new stream: chunks before the receiver's position were applied
 *     and are dropped; all the others are unsent again.
 * <li>One thread: the relay's.
 * </ul>
 */
final class ReplayWindow {
    private final int maxRecords;
    private final int maxPayload;
    private final int digestLength;
    private final ChunkSlot[] ring;
    private final ArrayDeque<ChunkSlot> free = new ArrayDeque<>();
    private final byte[] ackDigests;
    private int capacity;
    private int made;
    private int head;
    private int kept;
    private int sent;
    private long nextSequence = 1;
    private long keptBytes;
    private long keptPeak;
    private long unsentBytes;

    ReplayWindow(int capacity, int maxRecords, int maxPayload, int digestLength) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a replay window of " + capacity + " chunks");
        }
        this.ring = new ChunkSlot[capacity];
        this.capacity = capacity;
        this.maxRecords = maxRecords;
        this.maxPayload = maxPayload;
        this.digestLength = digestLength;
        this.ackDigests = new byte[maxRecords * digestLength];
    }

    /** The receiver offers fewer: at most {@code n} chunks are kept from now on. */
    void limit(int n) {
        if (n < 1 || n > ring.length) {
            throw new IllegalArgumentException("window of " + n + " chunks, made for 1.." + ring.length);
        }
        if (kept > n) {
            throw new IllegalStateException(kept + " chunks kept, more than the new window of " + n);
        }
        capacity = n;
    }

    boolean full() {
        return kept >= capacity;
    }

    boolean empty() {
        return kept == 0;
    }

    /** An empty slot to fill: one given back by an acknowledgement, or a new one. */
    ChunkSlot take() {
        ChunkSlot s = free.poll();
        if (s == null) {
            if (made > ring.length) {
                throw new IllegalStateException("more than " + (ring.length + 1) + " chunk slots taken");
            }
            made++;
            s = new ChunkSlot(maxRecords, maxPayload, digestLength);
        }
        s.reset();
        return s;
    }

    /** Numbers {@code chunk} and keeps it, unsent, after the others. */
    void add(ChunkSlot chunk) {
        if (full()) {
            throw new IllegalStateException("chunk added to a full replay window (" + kept + " kept)");
        }
        chunk.seal(nextSequence++);
        ring[(head + kept) % ring.length] = chunk;
        kept++;
        keptBytes += chunk.keptBytes();
        unsentBytes += chunk.keptBytes();
        keptPeak = Math.max(keptPeak, keptBytes);
    }

    boolean hasUnsent() {
        return sent < kept;
    }

    /** The oldest chunk kept and not yet in the transport. */
    ChunkSlot nextUnsent() {
        if (!hasUnsent()) {
            throw new IllegalStateException("no unsent chunk");
        }
        return ring[(head + sent) % ring.length];
    }

    /** The chunk {@link #nextUnsent()} gave is in the transport. */
    void markSent() {
        unsentBytes -= nextUnsent().keptBytes();
        sent++;
    }

    /** Bytes of the chunks kept and not yet in the transport. */
    long unsentBytes() {
        return unsentBytes;
    }

    /** Whether the oldest chunk sent holds the END record: its acknowledgement is the stream's last. */
    boolean oldestIsEnd() {
        return sent > 0 && ring[head].end();
    }

    /** The sequence of the last chunk numbered; 0 before any. */
    long lastSequence() {
        return nextSequence - 1;
    }

    /** Bytes the kept chunks hold, and the most they held at once: the replay budget in use. */
    long keptBytes() {
        return keptBytes;
    }

    long keptPeak() {
        return keptPeak;
    }

    /**
     * Settles the acknowledgement of the oldest chunk sent, against {@code table}, and gives its
     * slot back.
     *
     * @return the records whose acknowledged digest differed from the one forwarded
     */
    int onAck(ReceiverMessage m, StreamDigests table) throws MigrationFailure {
        if (!m.hasAck()) {
            throw new MigrationFailure("receiver sent " + m.getKindCase() + " while chunks were unacknowledged");
        }
        BatchAck a = m.getAck();
        if (sent == 0) {
            throw new MigrationFailure("receiver acknowledged chunk " + a.getSequence() + " with none in flight");
        }
        ChunkSlot c = ring[head];
        if (a.getSequence() != c.sequence()) {
            throw new MigrationFailure("receiver acknowledged chunk " + a.getSequence() + ", expected " + c.sequence());
        }
        int n = c.indexedRecords();
        if (a.getDigests().size() != n * digestLength) {
            throw new MigrationFailure("receiver's acknowledgement of chunk " + c.sequence() + " has "
                    + a.getDigests().size() + " digest bytes for " + n + " page and zero records");
        }
        a.getDigests().copyTo(ackDigests, 0); // the acknowledgement is the transport's buffer until the next take
        int mismatches = 0;
        byte[] forwarded = c.digests();
        for (int i = 0; i < n; i++) {
            int off = i * digestLength;
            if (!Arrays.equals(forwarded, off, off + digestLength, ackDigests, off, off + digestLength)) {
                // Ordering rule (docs/design.md), invariant 3: the destination holds something else;
                // unless a later version went on since, the page's next record must go
                table.distrust(c.page(i), forwarded, off);
                mismatches++;
            }
        }
        release();
        return mismatches;
    }

    private void release() {
        ChunkSlot c = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        kept--;
        sent--;
        keptBytes -= c.keptBytes();
        free.add(c);
    }

    /**
     * A new stream, whose receiver has written every chunk before {@code next} into the
     * destination: those are dropped (their acknowledgements were lost with the old stream); every
     * one kept is unsent again, to go in order.
     *
     * @return the chunks to resend
     * @throws MigrationFailure when {@code next} lies outside what is kept: the receiver lacks a
     *                          chunk no longer held, or claims one never sent
     */
    int resumeFrom(long next) throws MigrationFailure {
        long oldest = kept == 0 ? nextSequence : ring[head].sequence();
        if (next < oldest || next > nextSequence) {
            throw new MigrationFailure("receiver resumes at chunk " + next + ", but this sender keeps chunks " + oldest
                    + ".." + (nextSequence - 1) + (next < oldest ? " (an acknowledged chunk is missing there)" : ""));
        }
        sent = kept; // every kept chunk counts as sent while the applied ones are released
        while (kept > 0 && ring[head].sequence() < next) {
            release();
        }
        sent = 0;
        unsentBytes = keptBytes;
        return kept;
    }
}
