package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.common.xbzrle.XbzrleCodec;
import tern.proto.Accept;
import tern.proto.BatchAck;
import tern.proto.Complete;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.proto.Verdict;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * DESIGN.md invariant 4, over real loopback gRPC: every malformed, out-of-range, oversized or
 * undecodable message ends its stream with a status naming the field, the image takes no page of
 * a refused batch (checked by reading the image file against a model kept here), and the same
 * receiver then completes a correct migration. Digests and roots are computed here with the JDK,
 * independently of the code under test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {
    static final int PAGE = 4096;
    static final int PAGES = 64;
    static final int RAW = PageEncoding.RAW_VALUE;
    static final int ZERO = PageEncoding.ZERO_VALUE;
    static final int XBZRLE = PageEncoding.XBZRLE_VALUE;

    @TempDir
    Path dir;
    Path image;
    ReceiverServer server;
    /** What the image file must hold: every page zero, plus the pages the receiver acknowledged. */
    byte[] model;
    final List<RawPeer> peers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        image = dir.resolve("image.bin");
        // resuming off: a cancelled stream ends its migration here (ResumeTest covers holding it)
        server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image,
                ReceiverConfig.defaults().withResumeTimeout(java.time.Duration.ZERO), SessionListener.NONE);
        model = new byte[PAGES * PAGE];
    }

    @AfterEach
    void stop() throws Exception {
        for (RawPeer p : peers) {
            p.close();
        }
        server.close();
    }

    // ---------------------------------------------------------------- hello

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
        p.expectError(Status.Code.INVALID_ARGUMENT, "hello");
        assertRefused("hello");
        assertImageIsModel();
        assertServerStillWorks();
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

    @Test
    void emptySenderMessage() throws Exception {
        RawPeer p = peer();
        p.send(SenderMessage.getDefaultInstance());
        p.expectError(Status.Code.INVALID_ARGUMENT, "kind");
        assertRefused("kind");
        assertServerStillWorks();
    }

    @Test
    void emptySenderMessageAfterHello() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(SenderMessage.getDefaultInstance());
        p.expectError(Status.Code.INVALID_ARGUMENT, "kind");
        assertRefused("kind");
        assertImageIsModel();
        assertServerStillWorks();
    }

    // ---------------------------------------------------------------- batches

    /** Each case appends to batch 2, after a valid RAW page 10; the receiver must store neither. */
    static Stream<Arguments> badPagesAfterAValidOne() {
        byte[] page = pattern(7);
        return Stream.of(
                badPage("page index == page_count", b -> b.raw(PAGES, page), "page_indexes[1]"),
                badPage("page index 2^40", b -> b.raw(1L << 40, page), "page_indexes[1]"),
                badPage("page index 2^64-1", b -> b.raw(-1L, page), "page_indexes[1]"),
                badPage("encoding byte 9 (unknown)", b -> b.page(7, 9, page, PAGE), "encodings[1]"),
                badPage("encoding byte 0 (UNSPECIFIED)", b -> b.page(7, 0, page, PAGE), "encodings[1]"),
                badPage("RAW payload length 4095", b -> b.page(7, RAW, Arrays.copyOf(page, 4095), 4095),
                        "payload_lengths[1]"),
                badPage("RAW payload length 4097", b -> b.page(7, RAW, Arrays.copyOf(page, 4097), 4097),
                        "payload_lengths[1]"),
                badPage("ZERO with length 5", b -> b.page(7, ZERO, new byte[5], 5), "payload_lengths[1]"),
                badPage("XBZRLE longer than a page", b -> b.page(7, XBZRLE, new byte[4097], 4097),
                        "payload_lengths[1]"),
                badPage("XBZRLE truncated ULEB128 (80)", b -> b.xbzrle(7, 0x80), "payload"),
                badPage("XBZRLE zero-length literal run (00 00)", b -> b.xbzrle(7, 0x00, 0x00), "payload"),
                badPage("XBZRLE zero run of 4097 passing the page end (81 20 01 ff)",
                        b -> b.xbzrle(7, 0x81, 0x20, 0x01, 0xff), "payload"),
                badPage("XBZRLE literal run passing the page end (ff 1f 02 aa bb)",
                        b -> b.xbzrle(7, 0xff, 0x1f, 0x02, 0xaa, 0xbb), "payload"),
                badPage("XBZRLE ends after a zero run (05)", b -> b.xbzrle(7, 0x05), "payload"),
                badPage("XBZRLE literal run truncated (00 05 01 02)", b -> b.xbzrle(7, 0x00, 0x05, 0x01, 0x02), "payload"),
                badPage("XBZRLE empty later zero run (00 01 aa 00 01 bb)",
                        b -> b.xbzrle(7, 0x00, 0x01, 0xaa, 0x00, 0x01, 0xbb), "payload"),
                badPage("XBZRLE 3-byte ULEB128 (80 80 01 01 ff)", b -> b.xbzrle(7, 0x80, 0x80, 0x01, 0x01, 0xff),
                        "payload"),
                badPage("payload one byte short of the lengths", b -> b.raw(7, page).trimPayload(1), "payload: "),
                badPage("payload one page short of the lengths", b -> b.raw(7, page).trimPayload(PAGE), "payload: "),
                badPage("payload one byte longer than the lengths", b -> b.raw(7, page).extraPayload(1), "payload: "),
                badPage("encodings count != pages", b -> b.raw(7, page).overrideEncodings(new byte[] {(byte) RAW}),
                        "encodings"),
                badPage("payload_lengths count != pages", b -> b.raw(7, page).dropLastLength(), "payload_lengths"));
    }

    static Arguments badPage(String name, Consumer<Batch> bad, String field) {
        return Arguments.of(name, bad, field);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPagesAfterAValidOne")
    void badPageAfterAValidOneStoresNothing(String name, Consumer<Batch> bad, String field) throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        Batch b = new Batch(2).raw(10, pattern(10));
        bad.accept(b);
        p.send(b.build());
        p.expectError(Status.Code.INVALID_ARGUMENT, field);
        assertRefused(field);
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void xbzrleNotOfferedInHello() throws Exception {
        RawPeer p = accepted(hello().clearEncodings().addEncodings(PageEncoding.RAW).addEncodings(PageEncoding.ZERO));
        byte[] delta = {0x00, 0x01, 0x2a}; // a valid delta: byte 0 becomes 0x2a
        p.send(new Batch(1).raw(2, pattern(1)).xbzrle(7, delta).build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "encodings[1]", "XBZRLE");
        assertRefused("encodings[1]");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void zeroNotOfferedInHello() throws Exception {
        RawPeer p = accepted(hello().clearEncodings().addEncodings(PageEncoding.RAW));
        p.send(new Batch(1).raw(2, pattern(1)).zero(7).build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "encodings[1]", "ZERO");
        assertRefused("encodings[1]");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void emptyBatch() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(new Batch(2).build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "page_indexes");
        assertRefused("page_indexes");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void morePagesThanMaxBatchPages() throws Exception {
        RawPeer p = accepted(hello().setMaxBatchPages(8));
        storeFirst(p);
        Batch b = new Batch(2);
        for (int i = 0; i < 9; i++) {
            b.raw(10 + i, pattern(100 + i));
        }
        p.send(b.build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "page_indexes", "max_batch_pages");
        assertRefused("max_batch_pages");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void exactlyMaxBatchPagesIsAccepted() throws Exception {
        RawPeer p = accepted(hello().setMaxBatchPages(8));
        Batch b = new Batch(1);
        byte[][] pages = new byte[8][];
        for (int i = 0; i < 8; i++) {
            pages[i] = pattern(100 + i);
            b.raw(10 + i, pages[i]);
            putModel(10 + i, pages[i]);
        }
        p.send(b.build());
        expectAck(p, 1, pages);
        finishVerified(p, 1, 8);
        assertServerStillWorks();
    }

    static Stream<Arguments> badSequences() {
        return Stream.of(
                Arguments.of("first batch has sequence 2", false, 2L),
                Arguments.of("first batch has sequence 0", false, 0L),
                Arguments.of("gap: 1 then 3", true, 3L),
                Arguments.of("repeat: 1 then 1", true, 1L),
                Arguments.of("1 then 2^64-1", true, -1L));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSequences")
    void badSequence(String name, boolean sendFirst, long sequence) throws Exception {
        RawPeer p = accepted(hello());
        if (sendFirst) {
            storeFirst(p);
        }
        p.send(new Batch(sequence).raw(10, pattern(10)).build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "sequence");
        assertRefused("sequence");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void batchIterationNotMatchingTheMark() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(mark(2, Phase.ITERATIVE));
        p.send(new Batch(2).iteration(1).raw(10, pattern(10)).build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "iteration");
        assertRefused("iteration");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void batchIterationAheadOfAnyMark() throws Exception {
        RawPeer p = accepted(hello());
        p.send(new Batch(1).iteration(2).raw(10, pattern(10)).build());
        p.expectError(Status.Code.INVALID_ARGUMENT, "iteration");
        assertRefused("iteration");
        assertImageIsModel();
        assertServerStillWorks();
    }

    // ---------------------------------------------------------------- marks

    static Stream<Arguments> badMarks() {
        return Stream.of(
                Arguments.of("PHASE_UNSPECIFIED", List.of(mark(2, Phase.PHASE_UNSPECIFIED)), "mark.phase"),
                Arguments.of("unknown phase 99", List.of(SenderMessage.newBuilder()
                        .setMark(IterationMark.newBuilder().setIteration(2).setPhaseValue(99)).build()), "mark.phase"),
                Arguments.of("iteration going backwards (3 then 2)",
                        List.of(mark(3, Phase.ITERATIVE), mark(2, Phase.ITERATIVE)), "mark.iteration"),
                Arguments.of("iteration repeated (3 then 3)",
                        List.of(mark(3, Phase.ITERATIVE), mark(3, Phase.STOP_AND_COPY)), "mark.iteration"),
                Arguments.of("iteration 0", List.of(mark(0, Phase.BULK)), "mark.iteration"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badMarks")
    void badMark(String name, List<SenderMessage> marks, String field) throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        for (SenderMessage m : marks) {
            p.send(m);
        }
        p.expectError(Status.Code.INVALID_ARGUMENT, field);
        assertRefused(field);
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void marksThenBatchesOfTheMarkedIterationComplete() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(mark(2, Phase.ITERATIVE));
        byte[] a = pattern(20);
        p.send(new Batch(2).iteration(2).raw(20, a).build());
        putModel(20, a);
        expectAck(p, 2, a);
        p.send(mark(3, Phase.STOP_AND_COPY));
        p.send(new Batch(3).iteration(3).zero(2).build());
        putModel(2, new byte[PAGE]);
        expectAck(p, 3, new byte[PAGE]);
        finishVerified(p, 3, 3);
        assertServerStillWorks();
    }

    // ---------------------------------------------------------------- complete

    @Test
    void completeWithWrongLastSequence() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(complete(rootOf(model), 2));
        p.expectError(Status.Code.INVALID_ARGUMENT, "complete.last_sequence");
        assertRefused("complete.last_sequence");
        assertImageIsModel();
        assertServerStillWorks();
    }

    static Stream<Arguments> badRootLengths() {
        return Stream.of(Arguments.of(31), Arguments.of(33), Arguments.of(0));
    }

    @ParameterizedTest(name = "root of {0} bytes")
    @MethodSource("badRootLengths")
    void completeWithARootOfTheWrongLength(int length) throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(complete(Arrays.copyOf(rootOf(model), length), 1));
        p.expectError(Status.Code.INVALID_ARGUMENT, "complete.root_digest");
        assertRefused("complete.root_digest");
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void completeWithAWrongRootGetsARefusingVerdict() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        byte[] right = rootOf(model);
        byte[] wrong = right.clone();
        wrong[31] ^= 1;
        p.send(complete(wrong, 1));
        ReceiverMessage r = p.next();
        assertTrue(r.hasVerdict(), () -> "expected a verdict, got " + r);
        Verdict v = r.getVerdict();
        assertFalse(v.getOk());
        assertTrue(v.getReason().contains("root mismatch"), v::getReason);
        // the receiver reports its own root, recomputed from the image: the right one
        assertEquals(hex(right), hex(v.getRootDigest().toByteArray()));
        assertEquals(Status.Code.OK, p.awaitEnd().getCode());
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertTrue(o.reason() != null && o.reason().contains("root mismatch"), o::toString);
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void messageAfterTheVerdictIsIgnoredOrRefused() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(complete(rootOf(model), 1));
        assertTrue(p.next().getVerdict().getOk());
        p.send(new Batch(2).raw(10, pattern(10)).build());
        Status end = p.awaitEnd();
        assertTrue(end.isOk() || end.getCode() == Status.Code.INVALID_ARGUMENT, end::toString);
        assertTrue(outcome().verified());
        assertImageIsModel();
        assertServerStillWorks();
    }

    // ---------------------------------------------------------------- transport

    @Test
    void messageOverTheTransportLimitFailsTheStreamOnly() throws Exception {
        RawPeer p = accepted(hello());
        byte[] huge = new byte[5 << 20];
        new Random(5).nextBytes(huge);
        p.send(new Batch(1).page(2, RAW, huge, PAGE).build());
        Status s = p.awaitEnd();
        assertFalse(s.isOk(), s::toString);
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void senderHalfClosesBeforeComplete() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.halfClose();
        p.expectError(Status.Code.INVALID_ARGUMENT, "stream");
        assertFalse(outcome().verified());
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void senderCancelsMidMigration() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.close();
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertImageIsModel();
        assertServerStillWorks();
    }

    @Test
    void secondMigrationWhileOneIsInProgress() throws Exception {
        RawPeer first = accepted(hello().setMigrationId("first"));
        storeFirst(first);
        RawPeer second = peer();
        second.send(msg(hello().setMigrationId("second")));
        second.expectError(Status.Code.FAILED_PRECONDITION, "already in progress");
        // the first migration is untouched and still completes
        byte[] a = pattern(30);
        first.send(new Batch(2).raw(30, a).build());
        putModel(30, a);
        expectAck(first, 2, a);
        finishVerified(first, 2, 2);
        assertServerStillWorks();
    }

    // ---------------------------------------------------------------- positive controls

    @Test
    void xbzrlePageAgainstTheZeroPageIsStoredAndDigestedAsStored() throws Exception {
        RawPeer p = accepted(hello());
        byte[] page = new byte[PAGE];
        byte[] noise = pattern(40);
        System.arraycopy(noise, 0, page, 100, 200);
        System.arraycopy(noise, 1000, page, 3000, 11);
        page[PAGE - 1] = 7;
        byte[] delta = new byte[PAGE];
        int n = new XbzrleCodec(PAGE).encode(ByteBuffer.allocate(PAGE), ByteBuffer.wrap(page), delta, 0, PAGE);
        assertTrue(n > 0 && n < PAGE, "encoder gave " + n);
        p.send(new Batch(1).xbzrle(5, Arrays.copyOf(delta, n)).build());
        putModel(5, page);
        expectAck(p, 1, page);
        finishVerified(p, 1, 1);
        assertServerStillWorks();
    }

    /** DESIGN.md's XBZRLE vector, hand-written here, so this does not depend on the encoder. */
    @Test
    void designDocXbzrleVectorDecodesOnTheReceiver() throws Exception {
        RawPeer p = accepted(hello());
        p.send(new Batch(1).raw(3, vectorOld()).build());
        putModel(3, vectorOld());
        expectAck(p, 1, vectorOld());
        p.send(new Batch(2).xbzrle(3, vectorDelta()).build());
        putModel(3, vectorNew());
        expectAck(p, 2, vectorNew());
        finishVerified(p, 2, 2);
        assertServerStillWorks();
    }

    /** A RAW page and then an XBZRLE page in one batch, as the sender builds them. */
    @Test
    void rawThenXbzrleInOneBatchIsStored() throws Exception {
        RawPeer p = accepted(hello());
        p.send(new Batch(1).raw(3, vectorOld()).build());
        putModel(3, vectorOld());
        expectAck(p, 1, vectorOld());
        byte[] a = pattern(50);
        p.send(new Batch(2).raw(1, a).xbzrle(3, vectorDelta()).zero(4).build());
        putModel(1, a);
        putModel(3, vectorNew());
        expectAck(p, 2, a, vectorNew(), new byte[PAGE]);
        finishVerified(p, 2, 4);
        assertServerStillWorks();
    }

    /** Bytes that are no protobuf at all (a truncated group) end the stream cleanly, not the receiver. */
    @Test
    void undecodableProtobufIsInvalidArgument() throws Exception {
        io.grpc.MethodDescriptor.Marshaller<byte[]> raw = new io.grpc.MethodDescriptor.Marshaller<>() {
            @Override
            public java.io.InputStream stream(byte[] value) {
                return new java.io.ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(java.io.InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        io.grpc.MethodDescriptor<byte[], byte[]> method = io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
                .setFullMethodName(tern.proto.MigrationGrpc.getMigrateMethod().getFullMethodName())
                .setRequestMarshaller(raw).setResponseMarshaller(raw).build();
        io.grpc.ManagedChannel ch = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
                .forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            java.util.concurrent.CompletableFuture<io.grpc.Status> closed = new java.util.concurrent.CompletableFuture<>();
            io.grpc.stub.StreamObserver<byte[]> out = io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
                    ch.newCall(method, io.grpc.CallOptions.DEFAULT), new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(byte[] value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            closed.complete(io.grpc.Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            closed.complete(io.grpc.Status.OK);
                        }
                    });
            out.onNext(new byte[] {0x0b, 0x12, 0x05, 0x01}); // a group start, then a field cut short
            io.grpc.Status s = closed.get(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, s.getCode(), s::toString);
            assertTrue(s.getDescription().contains("undecodable protobuf"), s::toString);
        } finally {
            ch.shutdownNow();
        }
        assertRefused("undecodable protobuf");
        assertFalse(java.nio.file.Files.exists(image), "no hello, so no image was created");
        assertServerStillWorks();
    }

    // ---------------------------------------------------------------- helpers

    RawPeer peer() {
        RawPeer p = new RawPeer(server.port());
        peers.add(p);
        return p;
    }

    static Hello.Builder hello() {
        return Hello.newBuilder()
                .setProtocolVersion(1)
                .setMigrationId("bad-input-test")
                .setPageSize(PAGE)
                .setPageCount(PAGES)
                .setDigest(DigestAlgorithm.SHA256)
                .addEncodings(PageEncoding.RAW)
                .addEncodings(PageEncoding.ZERO)
                .addEncodings(PageEncoding.XBZRLE)
                .setMaxBatchPages(64)
                .setStreamIndex(0)
                .setStreamCount(1);
    }

    static SenderMessage msg(Hello.Builder h) {
        return SenderMessage.newBuilder().setHello(h).build();
    }

    static SenderMessage mark(int iteration, Phase phase) {
        return SenderMessage.newBuilder().setMark(IterationMark.newBuilder().setIteration(iteration).setPhase(phase)).build();
    }

    static SenderMessage complete(byte[] root, long lastSequence) {
        return SenderMessage.newBuilder().setComplete(Complete.newBuilder()
                .setRootDigest(ByteString.copyFrom(root)).setLastSequence(lastSequence)).build();
    }

    /** A peer whose hello was accepted; the image file is then all zero. */
    RawPeer accepted(Hello.Builder h) throws Exception {
        RawPeer p = peer();
        p.send(msg(h));
        ReceiverMessage r = p.next();
        assertTrue(r.hasAccept(), () -> "expected accept, got " + r);
        Accept a = r.getAccept();
        assertEquals(ImageState.ZEROED, a.getImageState());
        assertEquals(PAGES * PAGE, Files.size(image));
        assertArrayEquals(new byte[PAGES * PAGE], Files.readAllBytes(image), "a new image is all zero");
        return p;
    }

    /** Batch 1: RAW page 2, acknowledged with the digest of its bytes. */
    void storeFirst(RawPeer p) {
        byte[] a = pattern(1);
        p.send(new Batch(1).raw(2, a).build());
        putModel(2, a);
        expectAck(p, 1, a);
    }

    static void expectAck(RawPeer p, long sequence, byte[]... pages) {
        ReceiverMessage r = p.next();
        assertTrue(r.hasAck(), () -> "expected ack " + sequence + ", got " + r);
        BatchAck ack = r.getAck();
        assertEquals(sequence, ack.getSequence());
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        for (byte[] page : pages) {
            want.writeBytes(sha256(page));
        }
        assertEquals(hex(want.toByteArray()), hex(ack.getDigests().toByteArray()),
                "ack digests must be SHA-256 of the bytes the receiver was meant to store");
    }

    /** Completes with the model's root: verdict ok, stream OK, outcome verified, file equals the model. */
    void finishVerified(RawPeer p, long lastSequence, long pagesStored) throws Exception {
        byte[] root = rootOf(model);
        p.send(complete(root, lastSequence));
        ReceiverMessage r = p.next();
        assertTrue(r.hasVerdict(), () -> "expected verdict, got " + r);
        Verdict v = r.getVerdict();
        assertTrue(v.getOk(), v::getReason);
        assertEquals(hex(root), hex(v.getRootDigest().toByteArray()));
        assertEquals(pagesStored, v.getPagesStored());
        p.halfClose();
        Status end = p.awaitEnd();
        assertTrue(end.isOk(), end::toString);
        MigrationOutcome o = outcome();
        assertTrue(o.verified(), o::toString);
        assertEquals(hex(root), o.rootDigest());
        assertImageIsModel();
    }

    /** After any bad stream: the same receiver takes a small correct migration from scratch. */
    void assertServerStillWorks() throws Exception {
        model = new byte[PAGES * PAGE];
        RawPeer p = accepted(hello().setMigrationId("control"));
        byte[][] pages = {pattern(900), pattern(901), pattern(902)};
        long[] at = {0, 17, PAGES - 1};
        Batch b = new Batch(1);
        for (int i = 0; i < pages.length; i++) {
            b.raw(at[i], pages[i]);
            putModel((int) at[i], pages[i]);
        }
        p.send(b.build());
        expectAck(p, 1, pages);
        finishVerified(p, 1, 3);
    }

    void assertRefused(String field) throws Exception {
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertNotNull(o.reason(), o::toString);
        assertTrue(o.reason().contains(field), () -> "outcome reason '" + o.reason() + "' does not name " + field);
    }

    MigrationOutcome outcome() throws Exception {
        FutureTask<MigrationOutcome> t = new FutureTask<>(server::awaitOutcome);
        Thread th = new Thread(t, "await-outcome");
        th.setDaemon(true);
        th.start();
        try {
            return t.get(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            th.interrupt();
            return fail("no migration outcome within " + RawPeer.TIMEOUT_SECONDS + " s");
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }

    void putModel(int page, byte[] bytes) {
        assertEquals(PAGE, bytes.length);
        System.arraycopy(bytes, 0, model, page * PAGE, PAGE);
    }

    void assertImageIsModel() throws Exception {
        byte[] file = Files.readAllBytes(image);
        assertEquals(model.length, file.length, "image size");
        int at = Arrays.mismatch(model, file);
        assertEquals(-1, at, () -> "image differs from what was acknowledged, first at page " + at / PAGE
                + " offset " + at % PAGE);
    }

    static byte[] pattern(int seed) {
        byte[] b = new byte[PAGE];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** SHA-256 over the concatenated SHA-256 digests of every page, page 0 first. */
    static byte[] rootOf(byte[] image) throws Exception {
        return RawPeer.rootOf(image, PAGE);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] vectorOld() {
        byte[] p = new byte[PAGE];
        byte[] tail = HexFormat.of().parseHex("05060708090a0b0c0d0e0f10111213680000" + "6b006d");
        System.arraycopy(tail, 0, p, 1001, tail.length);
        return p;
    }

    static byte[] vectorNew() {
        byte[] p = new byte[PAGE];
        byte[] tail = HexFormat.of().parseHex("0102030405060708090a0b0c0d0e0f680000" + "670069");
        System.arraycopy(tail, 0, p, 1001, tail.length);
        return p;
    }

    static byte[] vectorDelta() {
        return HexFormat.of().parseHex("e9070f0102030405060708090a0b0c0d0e0f030167010169");
    }

    /** A PageBatch built page by page, with ways to make it inconsistent on purpose. */
    static final class Batch {
        private final PageBatch.Builder b;
        private final ByteArrayOutputStream encodings = new ByteArrayOutputStream();
        private final ByteArrayOutputStream payload = new ByteArrayOutputStream();
        private byte[] encodingsOverride;
        private int trim;
        private int extra;
        private boolean dropLastLength;

        Batch(long sequence) {
            b = PageBatch.newBuilder().setSequence(sequence).setIteration(1);
        }

        Batch iteration(int i) {
            b.setIteration(i);
            return this;
        }

        Batch page(long index, int encoding, byte[] bytes, int declaredLength) {
            b.addPageIndexes(index);
            encodings.write(encoding);
            b.addPayloadLengths(declaredLength);
            payload.writeBytes(bytes);
            return this;
        }

        Batch raw(long index, byte[] page) {
            return page(index, RAW, page, page.length);
        }

        Batch zero(long index) {
            return page(index, ZERO, new byte[0], 0);
        }

        Batch xbzrle(long index, byte[] delta) {
            return page(index, XBZRLE, delta, delta.length);
        }

        Batch xbzrle(long index, int... bytes) {
            byte[] d = new byte[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                d[i] = (byte) bytes[i];
            }
            return xbzrle(index, d);
        }

        Batch trimPayload(int bytes) {
            trim = bytes;
            return this;
        }

        Batch extraPayload(int bytes) {
            extra = bytes;
            return this;
        }

        Batch overrideEncodings(byte[] e) {
            encodingsOverride = e;
            return this;
        }

        Batch dropLastLength() {
            dropLastLength = true;
            return this;
        }

        SenderMessage build() {
            PageBatch.Builder out = b.clone();
            out.setEncodings(ByteString.copyFrom(encodingsOverride != null ? encodingsOverride : encodings.toByteArray()));
            if (dropLastLength) {
                List<Integer> lengths = new ArrayList<>(out.getPayloadLengthsList());
                lengths.remove(lengths.size() - 1);
                out.clearPayloadLengths().addAllPayloadLengths(lengths);
            }
            byte[] p = payload.toByteArray();
            p = Arrays.copyOf(p, p.length - trim + extra);
            out.setPayload(ByteString.copyFrom(p));
            return SenderMessage.newBuilder().setBatch(out).build();
        }
    }
}
