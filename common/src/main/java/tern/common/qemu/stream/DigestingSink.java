package tern.common.qemu.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import tern.common.digest.DigestKind;

/**
 * Keeps the {@link StreamDigests} of the events on their way to another sink, and on the sender
 * drops the PAGE records it holds already: stream mode's skip rule (DESIGN.md "QEMU stream mode",
 * invariants 1-3).
 *
 * <p>{@link #dropHeld} (sender): a PAGE record whose digest equals that of the latest version of
 * its page forwarded on the link is dropped; every other event goes on, in order. "Latest
 * forwarded" includes what is still in flight, not only what was acknowledged: after B was
 * forwarded over an acknowledged A, a page that reverts to A must go again (QEMU-STREAM.md §3.4).
 * That is safe because the link is ordered and a resumed link resends all that was not
 * acknowledged. A ZERO record is always forwarded; a page never forwarded is unknown, never taken
 * as zero (QEMU sends every page in its first pass, and a destination's RAM need not start zeroed).
 *
 * <p>{@link #recording} (receiver): every event goes on; the digests are the receiver's
 * authoritative table, computed from the bytes it writes into the destination. Its root must
 * equal the sender's before the destination may run; its digests are what acknowledgements carry.
 */
public final class DigestingSink implements StreamSink {
    private final DigestKind kind;
    private final StreamSink next;
    private final boolean dropHeld;
    private StreamDigests digests;
    private long dropped;

    private DigestingSink(DigestKind kind, StreamSink next, boolean dropHeld) {
        this.kind = StreamDigests.requireCryptographic(kind);
        this.next = next;
        this.dropHeld = dropHeld;
    }

    /** The sender's filter: drops PAGE records the destination holds already. */
    public static DigestingSink dropHeld(DigestKind kind, StreamSink next) {
        return new DigestingSink(kind, next, true);
    }

    /** The receiver's table: drops nothing. */
    public static DigestingSink recording(DigestKind kind, StreamSink next) {
        return new DigestingSink(kind, next, false);
    }

    @Override
    public void opaque(ByteBuffer bytes) throws IOException {
        next.opaque(bytes);
    }

    @Override
    public void layout(RamLayout layout) throws IOException {
        digests = new StreamDigests(kind, layout);
        next.layout(layout);
    }

    @Override
    public void page(int page, ByteBuffer bytes) throws IOException {
        // the table moves to the new version before it is forwarded: the next record of this
        // page compares with what the destination will hold once this one arrives
        if (!digests.update(page, bytes) && dropHeld) {
            dropped++;
            return;
        }
        next.page(page, bytes);
    }

    @Override
    public void zero(int page) throws IOException {
        digests.zero(page);
        next.zero(page);
    }

    @Override
    public void milestone(StreamMilestone milestone) throws IOException {
        next.milestone(milestone);
    }

    @Override
    public void end() throws IOException {
        next.end();
    }

    /** PAGE records dropped as held (always 0 for {@link #recording}). */
    public long dropped() {
        return dropped;
    }

    /** The latest version of every page that went on; null before the layout. */
    public StreamDigests digests() {
        return digests;
    }
}
