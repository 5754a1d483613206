package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.file.Files;
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
                        "hello.migration_id"));
    }

    static Arguments badHello(String name, UnaryOperator<Hello.Builder> mutate, String field) {
        return Arguments.of(name, mutate, field);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badHellos")
    void badHelloIsRefused(String name, UnaryOperator<Hello.Builder> mutate, String field) throws Exception {
        RawPeer p = peer();
        p.send(msg(mutate.apply(hello())));
        p.expectError(Status.Code.INVALID_ARGUMENT, field);
        assertRefused(field);
        assertServerStillWorks();
    }

    static Stream<Arguments> unsupportedHellos() {
        return Stream.of(
                badHello("stream_count 2", h -> h.setStreamCount(2), "hello.stream_count"),
                badHello("stream_count 0", h -> h.setStreamCount(0), "hello.stream_count"),
                badHello("resume_token present", h -> h.setResumeToken(ByteString.copyFromUtf8("token")),
                        "hello.resume_token"),
                // 8 TiB of pages: refused at the hello, not by a failed write half-way through
                badHello("image larger than its file system", h -> h.setPageCount(Integer.MAX_VALUE),
                        "available on its file system"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupportedHellos")
    void unsupportedHelloIsAFailedPrecondition(String name, UnaryOperator<Hello.Builder> mutate, String field)
            throws Exception {
        RawPeer p = peer();
        p.send(msg(mutate.apply(hello())));
        p.expectError(Status.Code.FAILED_PRECONDITION, field);
        assertRefused(field);
        assertServerStillWorks();
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
