package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.common.qemu.stream.RamLayout;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.QemuRamBlock;
import tern.proto.QemuStreamHello;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;
import tern.receiver.stream.StreamDestination;

/**
 * A relayed QEMU stream's hello, checked whole before the destination QEMU is started (invariant
 * 4): each refusal names the field; a receiver of pages refuses a stream and the other way round;
 * a destination that cannot take the stream refuses the hello with its reason.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadStreamHelloTest {
    @TempDir
    Path dir;

    /** Counts the destinations opened; refuses to open one when told to. */
    private static final class Destinations implements StreamDestination {
        int opened;
        String refusal;

        @Override
        public Connection open(QemuStreamHello hello, RamLayout layout) throws IOException {
            if (refusal != null) {
                throw new IOException(refusal);
            }
            opened++;
            return new Connection() {
                @Override
                public WritableByteChannel stream() {
                    return java.nio.channels.Channels.newChannel(java.io.OutputStream.nullOutputStream());
                }

                @Override
                public void endOfStream() {
                }

                @Override
                public Running awaitLoadedAndContinue(Duration timeout) {
                    return new Running(1, null);
                }

                @Override
                public String describe() {
                    return "test";
                }

                @Override
                public void close() {
                }
            };
        }
    }

    static Hello.Builder hello() {
        return Hello.newBuilder().setProtocolVersion(1).setMigrationId("stream-hello-test").setPageSize(4096)
                .setPageCount(18).setDigest(DigestAlgorithm.SHA256).setStreamIndex(0).setStreamCount(1)
                .setQemuStream(QemuStreamHello.newBuilder().setMachineType("pc-i440fx-7.2").setQemuVersion("7.2.0")
                        .setMaxChunkBytes(256 << 10)
                        .addBlocks(QemuRamBlock.newBuilder().setIdstr("pc.ram").setUsedBytes(16 * 4096))
                        .addBlocks(QemuRamBlock.newBuilder().setIdstr("pc.rom").setUsedBytes(2 * 4096)));
    }

    private Status refusedBy(ReceiverServer server, Hello.Builder h) throws Exception {
        try (RawPeer p = new RawPeer(server.port())) {
            p.send(SenderMessage.newBuilder().setHello(h).build());
            return p.awaitEnd();
        }
    }

    private ReceiverServer streams(Destinations d) throws IOException {
        return ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), null,
                ReceiverConfig.defaults().withResumeTimeout(Duration.ZERO).withStreams(d, Duration.ofSeconds(5)),
                SessionListener.NONE);
    }

    static Stream<Arguments> badHellos() {
        return Stream.of(
                Arguments.of("page_count not the blocks' sum", (UnaryOperator<Hello.Builder>) h -> h.setPageCount(17),
                        "hello.page_count: 17, but the blocks hold 18 pages"),
                Arguments.of("page_size 8192", (UnaryOperator<Hello.Builder>) h -> h.setPageSize(8192), "hello.page_size"),
                Arguments.of("a non-cryptographic digest", (UnaryOperator<Hello.Builder>) h -> h.setDigest(DigestAlgorithm.XXH3_128),
                        "hello.digest: xxh3-128 is not cryptographic"),
                Arguments.of("no blocks", (UnaryOperator<Hello.Builder>) h -> h.setPageCount(0)
                        .setQemuStream(h.getQemuStream().toBuilder().clearBlocks()), "hello.qemu_stream.blocks: no RAM blocks"),
                Arguments.of("a block of 1000 bytes", (UnaryOperator<Hello.Builder>) h -> h.setQemuStream(h.getQemuStream()
                        .toBuilder().setBlocks(1, QemuRamBlock.newBuilder().setIdstr("pc.rom").setUsedBytes(1000))),
                        "hello.qemu_stream.blocks: RAM block 'pc.rom' has 1000 bytes"),
                Arguments.of("a block twice", (UnaryOperator<Hello.Builder>) h -> h.setQemuStream(h.getQemuStream()
                        .toBuilder().setBlocks(1, QemuRamBlock.newBuilder().setIdstr("pc.ram").setUsedBytes(8192))),
                        "listed twice"),
                Arguments.of("chunks beyond the message limit", (UnaryOperator<Hello.Builder>) h -> h.setQemuStream(
                        h.getQemuStream().toBuilder().setMaxChunkBytes(8 << 20)), "hello.qemu_stream.max_chunk_bytes"),
                Arguments.of("chunks that hold no page", (UnaryOperator<Hello.Builder>) h -> h.setQemuStream(
                        h.getQemuStream().toBuilder().setMaxChunkBytes(100)), "hold no page"),
                Arguments.of("a resume token for nothing", (UnaryOperator<Hello.Builder>) h -> h.setResumeToken(
                        com.google.protobuf.ByteString.copyFrom(new byte[16])), "hello.resume_token"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHellos")
    void aBadStreamHelloIsRefusedNamingTheFieldBeforeAnyDestinationStarts(String what, UnaryOperator<Hello.Builder> change,
                                                                          String names) throws Exception {
        Destinations d = new Destinations();
        try (ReceiverServer server = streams(d)) {
            Status s = refusedBy(server, change.apply(hello()));
            assertFalse(s.isOk(), what);
            assertTrue(String.valueOf(s.getDescription()).contains(names), what + ": " + s);
            assertEquals(0, d.opened, "no destination started for " + what);
        }
    }

    @Test
    void aDestinationThatCannotTakeTheStreamRefusesTheHelloWithItsReason() throws Exception {
        Destinations d = new Destinations();
        d.refusal = "the destination QEMU runs machine pc-q35-7.2";
        try (ReceiverServer server = streams(d)) {
            Status s = refusedBy(server, hello());
            assertEquals(Status.Code.FAILED_PRECONDITION, s.getCode());
            assertTrue(s.getDescription().contains("hello: destination QEMU: the destination QEMU runs machine pc-q35-7.2"), s.toString());
        }
    }

    @Test
    void streamsAndPagesGoToTheirOwnReceivers() throws Exception {
        try (ReceiverServer pages = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve("image.img"),
                ReceiverConfig.defaults().withResumeTimeout(Duration.ZERO), SessionListener.NONE)) {
            Status s = refusedBy(pages, hello());
            assertTrue(s.getDescription().contains("hello.qemu_stream: this receiver writes page migrations into --image"), s.toString());
        }
        Destinations d = new Destinations();
        try (ReceiverServer streams = streams(d)) {
            Status s = refusedBy(streams, ReceiverFixture.hello());
            assertTrue(s.getDescription().contains("hello.qemu_stream: missing"), s.toString());
            assertEquals(0, d.opened);
        }
    }

    @Test
    void aGoodStreamHelloStartsOneDestinationAndIsAcceptedAtChunkOne() throws Exception {
        Destinations d = new Destinations();
        try (ReceiverServer server = streams(d); RawPeer p = new RawPeer(server.port())) {
            p.send(SenderMessage.newBuilder().setHello(hello()).build());
            ReceiverMessage r = p.next();
            assertTrue(r.hasAccept(), r.toString());
            assertEquals(ImageState.STREAM_POSITION, r.getAccept().getImageState());
            assertEquals(1, r.getAccept().getStreamNextSequence());
            assertEquals(1, d.opened);
        }
    }
}
