package tern.receiver.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.common.digest.DigestKind;
import tern.common.qemu.stream.RamLayout;
import tern.proto.Complete;
import tern.proto.StreamChunk;
import tern.proto.StreamRecordKind;
import tern.proto.Verdict;
import tern.receiver.session.ProtocolException;

/**
 * The receiver's side of a relayed QEMU stream, chunk by chunk, into a destination that keeps
 * the bytes: a malformed chunk is refused naming the field before any of it is written
 * (invariant 4); the acknowledgement carries the digest of what was written, computed here from
 * the page bytes with the JDK; the device state is written only once the sender's root equals
 * the receiver's (invariant 1), and the destination is continued only after it loaded the whole
 * stream.
 */
class StreamSessionTest {
    private static final int PAGES = 8;
    private static final RamLayout LAYOUT = RamLayout.of(List.of(new RamLayout.Entry("pc.ram", PAGES * 4096L)));
    private static final int OPAQUE = StreamRecordKind.STREAM_OPAQUE_VALUE;
    private static final int PAGE = StreamRecordKind.STREAM_PAGE_VALUE;
    private static final int ZERO = StreamRecordKind.STREAM_ZERO_VALUE;
    private static final int PAUSED = StreamRecordKind.STREAM_GUEST_PAUSED_VALUE;
    private static final int DEVICE = StreamRecordKind.STREAM_DEVICE_STATE_VALUE;
    private static final int END = StreamRecordKind.STREAM_END_VALUE;

    private final Destination destination = new Destination();

    /** Keeps what is written; "loads" it once the stream ended. */
    private static final class Destination implements StreamDestination.Connection {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final WritableByteChannel channel = Channels.newChannel(bytes);
        boolean ended;
        boolean continued;
        boolean closed;

        @Override
        public WritableByteChannel stream() {
            return channel;
        }

        @Override
        public void endOfStream() {
            ended = true;
        }

        @Override
        public StreamDestination.Running awaitLoadedAndContinue(Duration timeout) {
            assertTrue(ended);
            continued = true;
            return new StreamDestination.Running(77, 123L);
        }

        @Override
        public String describe() {
            return "test destination";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private StreamSession session() throws Exception {
        return new StreamSession(LAYOUT, DigestKind.SHA256, 3 * 4096, destination, Duration.ofSeconds(1));
    }

    static byte[] page(int n) {
        byte[] b = new byte[4096];
        Arrays.fill(b, (byte) (n + 1));
        return b;
    }

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /**
     * The root over {@code latest} (null: a page never written, counted as zero digest bytes): SHA-256
     * over the SHA-256 of each run of 256 page digests; these 8 pages are one run.
     */
    static byte[] root(byte[][] latest) throws Exception {
        MessageDigest run = MessageDigest.getInstance("SHA-256");
        for (byte[] p : latest) {
            run.update(p == null ? new byte[32] : sha256(p));
        }
        return MessageDigest.getInstance("SHA-256").digest(run.digest());
    }

    static StreamChunk.Builder chunk(long seq, int... kinds) {
        byte[] k = new byte[kinds.length];
        for (int i = 0; i < kinds.length; i++) {
            k[i] = (byte) kinds[i];
        }
        return StreamChunk.newBuilder().setSequence(seq).setKinds(ByteString.copyFrom(k));
    }

    /** Chunk 1: opaque "HDR", page 2, zero page 5. */
    static StreamChunk first() {
        return chunk(1, OPAQUE, PAGE, ZERO).addOpaqueLengths(3).addPageIndexes(2).addPageIndexes(5)
                .setPayload(ByteString.copyFromUtf8("HDR").concat(ByteString.copyFrom(page(2)))).build();
    }

    @Test
    void aStreamIsWrittenInOrderAcknowledgedWithItsOwnDigestsAndTheDestinationContinuedAtTheEnd() throws Exception {
        StreamSession s = session();
        byte[] acks = s.apply(first());
        assertArrayEquals(sha256(page(2)), Arrays.copyOf(acks, 32), "the written page's digest");
        assertArrayEquals(sha256(new byte[4096]), Arrays.copyOfRange(acks, 32, 64), "the zero page's digest");
        byte[][] latest = new byte[PAGES][];
        latest[2] = page(2);
        latest[5] = new byte[4096];
        s.apply(chunk(2, PAUSED, DEVICE, OPAQUE).addOpaqueLengths(4).setPayload(ByteString.copyFromUtf8("TAIL"))
                .setRamRoot(ByteString.copyFrom(root(latest))).build());
        assertFalse(destination.ended);
        s.apply(chunk(3, END).build());
        assertTrue(destination.ended, "the stream's end shuts the socket's write side");
        String written = destination.bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(written.startsWith("HDR") && written.endsWith("TAIL"), "opaque bytes verbatim, in order");
        assertEquals(3 + 8 + 1 + 6 + 4096 + 8 + 1 + 4, written.length(),
                "HDR, page 2 naming its block, zero page 5 continuing it, TAIL");
        Verdict v = s.complete(Complete.newBuilder().setLastSequence(3).setRootDigest(ByteString.copyFrom(root(latest))).build());
        assertTrue(v.getOk(), v.getReason());
        assertEquals(77, v.getDestinationPid());
        assertEquals(123, v.getResumedEpochMicros());
        assertTrue(destination.continued);
        assertEquals(4, s.nextSequence());
    }

    @Test
    void theDeviceStateIsNotWrittenWhenTheRootsDiffer() throws Exception {
        StreamSession s = session();
        s.apply(first());
        ProtocolException e = assertThrows(ProtocolException.class, () -> s.apply(chunk(2, DEVICE, OPAQUE)
                .addOpaqueLengths(4).setPayload(ByteString.copyFromUtf8("TAIL")).setRamRoot(ByteString.copyFrom(new byte[32]))
                .build()));
        assertTrue(e.getMessage().contains("stream_chunk.ram_root") && e.getMessage().contains("differ"), e.getMessage());
        assertFalse(destination.bytes.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains("TAIL"),
                "no device state reached the destination");
        s.close();
        assertTrue(destination.closed);
        assertFalse(destination.continued);
    }

    @Test
    void completeBeforeTheEndOrForAnotherChunkIsRefused() throws Exception {
        StreamSession s = session();
        s.apply(first());
        assertTrue(assertThrows(ProtocolException.class, () -> s.complete(Complete.newBuilder().setLastSequence(1).build()))
                .getMessage().startsWith("complete: before the chunk holding STREAM_END"));
        byte[][] latest = new byte[PAGES][];
        latest[2] = page(2);
        latest[5] = new byte[4096];
        s.apply(chunk(2, DEVICE, END).setRamRoot(ByteString.copyFrom(root(latest))).build());
        assertTrue(assertThrows(ProtocolException.class, () -> s.complete(Complete.newBuilder().setLastSequence(1).build()))
                .getMessage().startsWith("complete.last_sequence"));
        Verdict v = s.complete(Complete.newBuilder().setLastSequence(2).setRootDigest(ByteString.copyFrom(new byte[32])).build());
        assertFalse(v.getOk());
        assertTrue(v.getReason().startsWith("root mismatch"), v.getReason());
        assertFalse(destination.continued, "a destination whose root differs is never continued");
    }

    static Stream<Arguments> badChunks() {
        ByteString p = ByteString.copyFrom(page(1));
        return Stream.of(
                bad("a sequence gap", c -> c.setSequence(2), "stream_chunk 2: sequence: expected 1"),
                bad("no records", c -> chunk(1), "kinds: an empty chunk"),
                bad("an unknown kind", c -> chunk(1, 9), "kinds[0]: unknown record kind 9"),
                bad("a page beyond the RAM", c -> chunk(1, PAGE).addPageIndexes(PAGES).setPayload(p),
                        "page_indexes[0]: page 8 out of range"),
                bad("fewer page indexes", c -> chunk(1, PAGE, PAGE).addPageIndexes(1).setPayload(p.concat(p)), "page_indexes"),
                bad("more page indexes", c -> chunk(1, PAGE).addPageIndexes(1).addPageIndexes(2).setPayload(p), "page_indexes"),
                bad("an opaque length of 0", c -> chunk(1, OPAQUE).addOpaqueLengths(0), "opaque_lengths[0]: 0 bytes"),
                bad("a payload longer than its records", c -> chunk(1, PAGE).addPageIndexes(1).setPayload(p.concat(p)), "payload"),
                bad("a payload shorter than its records", c -> chunk(1, PAGE).addPageIndexes(1), "payload"),
                bad("more than max_chunk_bytes", c -> chunk(1, PAGE, PAGE, PAGE, PAGE).addPageIndexes(0).addPageIndexes(1)
                        .addPageIndexes(2).addPageIndexes(3).setPayload(p.concat(p).concat(p).concat(p)), "max_chunk_bytes"),
                bad("END before DEVICE_STATE", c -> chunk(1, END), "kinds[0]: STREAM_END before STREAM_DEVICE_STATE"),
                bad("END not last", c -> chunk(1, DEVICE, END, OPAQUE).addOpaqueLengths(1).setPayload(ByteString.copyFromUtf8("x"))
                        .setRamRoot(ByteString.copyFrom(new byte[32])), "STREAM_END is not the last record"),
                bad("a page after the device state", c -> chunk(1, DEVICE, PAGE).addPageIndexes(0).setPayload(p)
                        .setRamRoot(ByteString.copyFrom(new byte[32])), "a page record after STREAM_DEVICE_STATE"),
                bad("DEVICE_STATE without the root", c -> chunk(1, DEVICE), "ram_root"),
                bad("a root without DEVICE_STATE", c -> chunk(1, PAUSED).setRamRoot(ByteString.copyFrom(new byte[32])), "ram_root"),
                bad("a root of 31 bytes", c -> chunk(1, DEVICE).setRamRoot(ByteString.copyFrom(new byte[31])), "ram_root"),
                bad("GUEST_PAUSED twice", c -> chunk(1, PAUSED, PAUSED), "STREAM_GUEST_PAUSED a second time"));
    }

    private static Arguments bad(String what, UnaryOperator<StreamChunk.Builder> change, String names) {
        return Arguments.of(what, change, names);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badChunks")
    void aMalformedChunkIsRefusedNamingTheFieldAndNothingOfItIsWritten(String what, UnaryOperator<StreamChunk.Builder> change,
                                                                     String names) throws Exception {
        StreamSession s = session();
        ProtocolException e = assertThrows(ProtocolException.class, () -> s.apply(change.apply(chunk(1, OPAQUE)
                .addOpaqueLengths(1).setPayload(ByteString.copyFromUtf8("x"))).build()));
        assertTrue(e.getMessage().contains(names), what + ": " + e.getMessage());
        assertEquals(Status.Code.INVALID_ARGUMENT, e.toStatus().getCode());
        assertEquals(0, destination.bytes.size(), "nothing written");
        assertEquals(1, s.nextSequence(), "the position did not move");
    }

    @Test
    void aChunkAfterTheEndIsRefused() throws Exception {
        StreamSession s = session();
        s.apply(chunk(1, DEVICE, END).setRamRoot(ByteString.copyFrom(root(new byte[PAGES][]))).build());
        assertTrue(assertThrows(ProtocolException.class, () -> s.apply(chunk(2, OPAQUE).addOpaqueLengths(1)
                .setPayload(ByteString.copyFromUtf8("x")).build())).getMessage().contains("after the one holding STREAM_END"));
    }
}
