package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.digest.DigestKind;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamDigests;
import tern.proto.BatchAck;
import tern.proto.ReceiverMessage;
import tern.sender.engine.MigrationFailure;

/** The chunks a resume resends, and the settling of the receiver's acknowledgements (invariant 3). */
class ReplayWindowTest {
    private static final RamLayout LAYOUT = RamLayout.of(List.of(new RamLayout.Entry("pc.ram", 16 * 4096)));
    private final StreamDigests table = new StreamDigests(DigestKind.SHA256, LAYOUT);

    /** A chunk carrying page {@code page} at version {@code version}, as forwarded. */
    private ChunkSlot chunkOf(ReplayWindow w, int page, int version) {
        ByteBuffer b = ByteBuffer.wrap(QemuStreamBuilder.pageBytes(page, version));
        table.update(page, b);
        ChunkSlot c = w.take();
        c.page(page, b, table);
        return c;
    }

    private static ReceiverMessage ack(long sequence, byte[] digests) {
        return ReceiverMessage.newBuilder().setAck(BatchAck.newBuilder().setSequence(sequence)
                .setDigests(ByteString.copyFrom(digests))).build();
    }

    private byte[] digestOf(int page) {
        byte[] d = new byte[32];
        table.copyTo(page, d, 0);
        return d;
    }

    @Test
    void chunksAreNumberedKeptUntilAcknowledgedInOrderAndTheirSlotsReused() throws MigrationFailure {
        ReplayWindow w = new ReplayWindow(2, 256, 4096, 32);
        ChunkSlot a = chunkOf(w, 1, 0);
        w.add(a);
        ChunkSlot b = chunkOf(w, 2, 0);
        w.add(b);
        assertTrue(w.full(), "two chunks fill a window of two: the relay reads no more from QEMU");
        assertEquals(1, a.sequence());
        assertEquals(2, b.sequence());
        assertSame(a, w.nextUnsent());
        w.markSent();
        w.markSent();
        assertThrows(MigrationFailure.class, () -> w.onAck(ack(2, digestOf(2)), table), "acknowledgements come in order");
        assertEquals(0, w.onAck(ack(1, digestOf(1)), table));
        assertFalse(w.full());
        assertSame(a, w.take(), "the acknowledged chunk's slot is reused");
        assertEquals(0, w.onAck(ack(2, digestOf(2)), table));
        assertTrue(w.empty());
        assertEquals(2, w.lastSequence());
    }

    @Test
    void anAcknowledgementWithAnotherDigestMakesThePageUnknownSoItsNextRecordGoes() throws MigrationFailure {
        ReplayWindow w = new ReplayWindow(4, 256, 4096, 32);
        ChunkSlot c = chunkOf(w, 3, 0);
        w.add(c);
        w.markSent();
        byte[] other = new byte[32];
        other[5] = 1;
        assertEquals(1, w.onAck(ack(1, other), table));
        assertTrue(table.update(3, ByteBuffer.wrap(QemuStreamBuilder.pageBytes(3, 0))),
                "the same bytes again are no longer held: the destination holds something else");
    }

    @Test
    void aMismatchOnAnOlderVersionLeavesTheLaterOneInFlightAlone() throws MigrationFailure {
        ReplayWindow w = new ReplayWindow(4, 256, 4096, 32);
        w.add(chunkOf(w, 3, 0));
        w.markSent();
        w.add(chunkOf(w, 3, 1));
        w.markSent();
        assertEquals(1, w.onAck(ack(1, new byte[32]), table));
        assertFalse(table.update(3, ByteBuffer.wrap(QemuStreamBuilder.pageBytes(3, 1))),
                "version 1 is still the latest forwarded: its own acknowledgement settles the page");
    }

    @Test
    void aResumeDropsWhatTheReceiverWroteAndResendsTheRestInOrder() throws MigrationFailure {
        ReplayWindow w = new ReplayWindow(4, 256, 4096, 32);
        ChunkSlot[] c = new ChunkSlot[4];
        for (int i = 0; i < 4; i++) {
            c[i] = chunkOf(w, i, 0);
            w.add(c[i]);
            w.markSent();
        }
        assertEquals(0, w.onAck(ack(1, digestOf(0)), table));
        // the receiver wrote chunk 2, whose acknowledgement was lost with the old stream
        assertEquals(2, w.resumeFrom(3));
        assertSame(c[2], w.nextUnsent());
        w.markSent();
        assertSame(c[3], w.nextUnsent());
        w.markSent();
        assertFalse(w.hasUnsent());
        assertEquals(0, w.onAck(ack(3, digestOf(2)), table));
    }

    @Test
    void aReceiverPositionOutsideWhatIsKeptFails() throws MigrationFailure {
        ReplayWindow w = new ReplayWindow(4, 256, 4096, 32);
        for (int i = 0; i < 3; i++) {
            w.add(chunkOf(w, i, 0));
            w.markSent();
        }
        w.onAck(ack(1, digestOf(0)), table);
        assertThrows(MigrationFailure.class, () -> w.resumeFrom(1), "chunk 1 was acknowledged and dropped");
        assertThrows(MigrationFailure.class, () -> w.resumeFrom(5), "chunk 4 was never sent");
        assertEquals(0, w.resumeFrom(4), "everything was written: nothing to resend");
    }

    @Test
    void theReplayBudgetIsTheKeptChunksBytes() {
        ReplayWindow w = new ReplayWindow(3, 256, 4096, 32);
        ChunkSlot c = chunkOf(w, 1, 0);
        w.add(c);
        assertEquals(c.keptBytes(), w.keptBytes());
        assertEquals(c.keptBytes(), w.unsentBytes());
        w.markSent();
        assertEquals(0, w.unsentBytes());
        assertEquals(c.keptBytes(), w.keptPeak());
    }
}
