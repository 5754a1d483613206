package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.digest.DigestKind;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamDigests;
import tern.common.testing.Allocations;
import tern.common.testing.ProtoSchema;
import tern.proto.SenderMessage;
import tern.proto.StreamChunk;
import tern.proto.StreamRecordKind;

/** A chunk's hand-written encoding is the generated code's, and filling one allocates nothing. */
class ChunkSlotTest {
    private static final RamLayout LAYOUT = RamLayout.of(List.of(new RamLayout.Entry("pc.ram", 64 * 4096)));

    @Test
    void everyFieldOfStreamChunkIsWritten() {
        ProtoSchema.assertWritesEveryField(StreamChunk.getDescriptor(), "ChunkSlot", ChunkSlot.FIELDS_WRITTEN);
    }

    @Test
    void writesWhatTheGeneratedCodeWrites() throws IOException {
        StreamDigests table = new StreamDigests(DigestKind.SHA256, LAYOUT);
        byte[] page = QemuStreamBuilder.pageBytes(3, 1);
        table.update(3, ByteBuffer.wrap(page));
        table.zero(200 % 64);
        byte[] root = new byte[32];
        root[0] = 7;
        for (int variant = 0; variant < 4; variant++) {
            ChunkSlot s = new ChunkSlot(256, 3 * 4096, 32);
            s.reset();
            StreamChunk.Builder want = StreamChunk.newBuilder().setSequence(variant == 0 ? 1 : 300_000L * variant);
            byte[] opaque = {1, 2, 3, 4, 5};
            if (variant != 1) {
                s.opaque(ByteBuffer.wrap(opaque), 1, 3);
                want.addOpaqueLengths(3);
            }
            s.page(3, ByteBuffer.wrap(page), table);
            s.zero(200 % 64, table);
            want.addPageIndexes(3).addPageIndexes(200 % 64);
            StringBuilder kinds = new StringBuilder();
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            if (variant != 1) {
                kinds.append((char) StreamRecordKind.STREAM_OPAQUE_VALUE);
                payload.write(opaque, 1, 3);
            }
            kinds.append((char) StreamRecordKind.STREAM_PAGE_VALUE).append((char) StreamRecordKind.STREAM_ZERO_VALUE);
            payload.write(page);
            if (variant >= 2) {
                s.mark(StreamRecordKind.STREAM_GUEST_PAUSED);
                s.mark(StreamRecordKind.STREAM_DEVICE_STATE);
                s.root(root);
                kinds.append((char) StreamRecordKind.STREAM_GUEST_PAUSED_VALUE).append((char) StreamRecordKind.STREAM_DEVICE_STATE_VALUE);
                want.setRamRoot(ByteString.copyFrom(root));
            }
            if (variant == 3) {
                s.mark(StreamRecordKind.STREAM_END);
                kinds.append((char) StreamRecordKind.STREAM_END_VALUE);
            }
            want.setKinds(ByteString.copyFromUtf8(kinds.toString())).setPayload(ByteString.copyFrom(payload.toByteArray()));
            s.seal(want.getSequence());
            byte[] expected = SenderMessage.newBuilder().setStreamChunk(want).build().toByteArray();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.writeTo(got);
            assertEquals(expected.length, s.serializedSize(), "size of variant " + variant);
            assertArrayEquals(expected, got.toByteArray(), "bytes of variant " + variant);
        }
    }

    @Test
    void theDigestOfEachRecordIsTheOneForwarded() {
        StreamDigests table = new StreamDigests(DigestKind.SHA256, LAYOUT);
        ByteBuffer page = ByteBuffer.wrap(QemuStreamBuilder.pageBytes(5, 2));
        table.update(5, page);
        ChunkSlot s = new ChunkSlot(256, 4096, 32);
        s.reset();
        s.page(5, page, table);
        byte[] want = new byte[32];
        table.copyTo(5, want, 0);
        assertArrayEquals(want, java.util.Arrays.copyOf(s.digests(), 32));
        assertEquals(1, s.indexedRecords());
        assertEquals(5, s.page(0));
    }

    @Test
    void fillingAndSealingAChunkAllocatesNothing() throws IOException {
        StreamDigests table = new StreamDigests(DigestKind.SHA256, LAYOUT);
        ChunkSlot s = new ChunkSlot(256, 64 * 4096, 32);
        ByteBuffer page = ByteBuffer.wrap(QemuStreamBuilder.pageBytes(1, 1));
        ByteBuffer opaque = ByteBuffer.wrap(new byte[64]);
        double perChunk = Allocations.perCall(2_000, () -> {
            s.reset();
            s.opaque(opaque, 0, 21);
            for (int p = 0; p < 60; p++) {
                s.page(p, page, table);
                s.zero(p, table);
            }
            s.mark(StreamRecordKind.STREAM_GUEST_PAUSED);
            s.seal(12345);
        });
        assertEquals(0, perChunk, 1.0, "bytes allocated per chunk of 120 records");
    }
}
