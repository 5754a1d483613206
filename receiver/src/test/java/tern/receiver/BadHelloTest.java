package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.SenderMessage;
import tern.common.wire.PeerText;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * Hellos the receiver refuses, and messages sent before any hello: each names the field, and the
 * same receiver then completes a migration.
 */
class BadHelloTest extends ReceiverFixture {
    static Stream<Arguments> badHellos() {
        return Stream.of(
                badHello("page_size 3000", h -> h.setPageSize(3000), "hello.page_size"),
                badHello("page_size 0", h -> h.setPageSize(0), "hello.page_size"),
                badHello("page_size 256 (below 512)", h -> h.setPageSize(256), "hello.page_size"),
                badHello("page_size 131072 (above 65536)", h -> h.setPageSize(131072), "hello.page_size"),
                badHello("page_size 2^31", h -> h.setPageSize(Integer.MIN_VALUE), "hello.page_size"),
                badHello("page_count 0", h -> h.setPageCount(0), "hello.page_count"),
                badHello("page_count 2^40", h -> h.setPageCount(1L << 40), "hello.page_count"),
                badHello("page_count 2^64-1", h -> h.setPageCount(-1L), "hello.page_count"),
                badHello("digest UNSPECIFIED", h -> h.setDigest(DigestAlgorithm.DIGEST_ALGORITHM_UNSPECIFIED),
                        "hello.digest"),
                badHello("digest unknown value 99", h -> h.setDigestValue(99), "hello.digest"),
                badHello("encodings[0] UNSPECIFIED",
                        h -> h.clearEncodings().addEncodingsValue(0).addEncodings(PageEncoding.RAW), "hello.encodings[0]"),
                badHello("encodings[0] unknown 99",
                        h -> h.clearEncodings().addEncodingsValue(99).addEncodings(PageEncoding.RAW), "hello.encodings[0]"),
                badHello("encodings[1] unknown 99",
                        h -> h.clearEncodings().addEncodings(PageEncoding.RAW).addEncodingsValue(99), "hello.encodings[1]"),
                badHello("RAW not offered",
                        h -> h.clearEncodings().addEncodings(PageEncoding.ZERO).addEncodings(PageEncoding.XBZRLE),
                        "hello.encodings"),
                badHello("no encodings", Hello.Builder::clearEncodings, "hello.encodings"),
                badHello("max_batch_pages 0", h -> h.setMaxBatchPages(0), "hello.max_batch_pages"),
                badHello("max_batch_pages 1020 (just over 4 MiB)", h -> h.setMaxBatchPages(1020), "hello.max_batch_pages"),
                badHello("max_batch_pages 1000000", h -> h.setMaxBatchPages(1_000_000), "hello.max_batch_pages"),
                badHello("max_batch_pages 2^31", h -> h.setMaxBatchPages(Integer.MIN_VALUE), "hello.max_batch_pages"),
                badHello("max_batch_pages 2^32-1", h -> h.setMaxBatchPages(-1), "hello.max_batch_pages"),
                badHello("migration_id of 129 characters", h -> h.setMigrationId("x".repeat(129)),
                        "hello.migration_id"),
                // log and terminal injection (docs/hostile-input.md): the id is shown in the receiver's log
                badHello("migration_id with a newline", h -> h.setMigrationId("prod-db\nverified: migration evil"),
                        "hello.migration_id"),
                badHello("migration_id with a CR", h -> h.setMigrationId("prod-db\roverwritten"), "hello.migration_id"),
                badHello("migration_id with an ANSI escape", h -> h.setMigrationId("prod-\u001b[2J\u001b[31mdb"),
                        "hello.migration_id"),
                badHello("migration_id with a bidi override", h -> h.setMigrationId("prod-\u202edb"), "hello.migration_id"),
                badHello("migration_id with a NUL", h -> h.setMigrationId("prod\u0000db"), "hello.migration_id"),
                badHello("stream_index 1 of 1", h -> h.setStreamIndex(1), "hello.stream_index"),
                // one 30-byte hello pinned a 2 GiB digest table (docs/hostile-input.md): refused before allocating
                badHello("page_count 2^26-1 of 512 B (a 2 GiB table)", h -> h.setPageSize(512).setPageCount((1L << 26) - 1),
                        "hello.page_count", "--max-image"),
                badHello("an image over the default --max-image of 64 GiB",
                        h -> h.setPageSize(65536).setPageCount((64L << 30) / 65536 + 1), "hello.page_count", "--max-image"));
    }

    static Arguments badHello(String name, UnaryOperator<Hello.Builder> mutate, String... fragments) {
        return Arguments.of(name, mutate, fragments);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHellos")
    void badHelloIsRefused(String name, UnaryOperator<Hello.Builder> mutate, String[] fragments) throws Exception {
        RawPeer p = peer();
        p.send(msg(mutate.apply(hello())));
        Status s = p.expectError(Status.Code.INVALID_ARGUMENT, fragments);
        assertEquals(-1, PeerText.firstControl(s.getDescription()), "the refusal echoes a control character");
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertTrue(o.reason().contains(fragments[0]), o::toString);
        assertEquals(-1, PeerText.firstControl(String.valueOf(o.migrationId())), "the outcome's id holds a control character");
        assertServerStillWorks();
    }

    static Stream<Arguments> unsupportedHellos() {
        return Stream.of(
                badHello("stream_count 2", h -> h.setStreamCount(2), "hello.stream_count"),
                badHello("stream_count 0", h -> h.setStreamCount(0), "hello.stream_count"),
                badHello("resume_token present", h -> h.setResumeToken(ByteString.copyFromUtf8("token")),
                        "hello.resume_token"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedHellos")
    void unsupportedHelloIsAFailedPrecondition(String name, UnaryOperator<Hello.Builder> mutate, String[] fragments)
            throws Exception {
        RawPeer p = peer();
        p.send(msg(mutate.apply(hello())));
        p.expectError(Status.Code.FAILED_PRECONDITION, fragments);
        assertRefused(fragments[0]);
        assertServerStillWorks();
    }

    /**
     * On a receiver whose --max-image allows it, 2 TiB of pages are refused at the hello, naming the
     * directory and file system that lack the room, not by a failed write half-way through.
     */
    @Test
    void imageLargerThanItsFileSystemIsRefusedNamingWhere() throws Exception {
        try (ReceiverServer big = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image,
                ReceiverConfig.defaults().withResumeTimeout(Duration.ZERO).withMaxImageBytes(Long.MAX_VALUE),
                SessionListener.NONE);
             RawPeer p = new RawPeer(big.port())) {
            p.send(msg(hello().setPageSize(65536).setPageCount(1L << 25).setMaxBatchPages(8))); // 2 TiB
            p.expectError(Status.Code.FAILED_PRECONDITION, "image " + image, "available in " + dir, "file system");
        }
        assertFalse(Files.exists(image), "a refused hello created the image");
    }

    /**
     * docs/hostile-input.md: a refused hello (page_count 2^26 of 512 B: "exceeds one table") once
     * destroyed the previous image, truncated before the refusal. Every check runs first.
     */
    @Test
    void aRefusedHelloLeavesThePreviousImageAsItWas() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        finishVerified(p, 1, 1);
        byte[] before = Files.readAllBytes(image);
        try (ReceiverServer big = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image,
                ReceiverConfig.defaults().withResumeTimeout(Duration.ZERO).withMaxImageBytes(Long.MAX_VALUE),
                SessionListener.NONE);
             RawPeer q = new RawPeer(big.port())) {
            q.send(msg(hello().setPageSize(512).setPageCount(1L << 26)));
            q.expectError(Status.Code.INVALID_ARGUMENT, "hello.page_count", "one table");
        }
        assertArrayEquals(before, Files.readAllBytes(image), "the refused hello changed the previous image");
    }

    @Test
    void protocolVersion2IsAFailedPreconditionNamingBothVersions() throws Exception {
        RawPeer p = peer();
        p.send(msg(hello().setProtocolVersion(2)));
        Status s = p.expectError(Status.Code.FAILED_PRECONDITION, "hello.protocol_version");
        assertTrue(s.getDescription().matches("(?s).*\\b2\\b.*"), s::getDescription);
        assertTrue(s.getDescription().matches("(?s).*\\b1\\b.*"), s::getDescription);
        assertRefused("hello.protocol_version");
        assertServerStillWorks();
    }

    @Test
    void secondHelloOnTheSameStream() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(msg(hello()));
        assertRefusedHarmlessly(p, "hello");
    }

    static Stream<Arguments> beforeHello() {
        return Stream.of(
                Arguments.of("batch", new Batch(1).raw(2, pattern(1)).build()),
                Arguments.of("mark", mark(2, Phase.ITERATIVE)),
                Arguments.of("complete", complete(new byte[32], 0)));
    }

    @ParameterizedTest(name = "{0} before hello")
    @MethodSource("beforeHello")
    void messageBeforeHello(String kind, SenderMessage m) throws Exception {
        RawPeer p = peer();
        p.send(m);
        p.expectError(Status.Code.INVALID_ARGUMENT, kind, "hello");
        assertRefused(kind);
        assertFalse(Files.exists(image), "a message before hello created or touched the image");
        assertServerStillWorks();
    }
}
