package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.proto.Accept;
import tern.proto.BatchAck;
import tern.proto.Complete;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
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
 * A real receiver on loopback gRPC for the bad-input tests (docs/design.md, invariant 4): every
 * malformed, out-of-range, oversized or undecodable message ends its stream with a status naming
 * the field, the image takes no page of a refused batch (checked by reading the image file against
 * a model kept here), and the same receiver then completes a correct migration. Digests and roots
 * are computed here with the JDK, independently of the code under test.
 *
 * <p>Each test class covers one message kind ({@link BadHelloTest}, {@link BadBatchTest},
 * {@link BadMarkTest}, {@link BadCompleteTest}) or the stream itself ({@link BadStreamTest}); the
 * message builders and digests here serve {@link ResumeProtocolTest} too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class ReceiverFixture {
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
        // resuming off: a cancelled stream ends its migration here (ResumeProtocolTest covers holding it)
        server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image,
                ReceiverConfig.defaults().withResumeTimeout(Duration.ZERO), SessionListener.NONE);
        model = new byte[PAGES * PAGE];
    }

    @AfterEach
    void stop() throws Exception {
        for (RawPeer p : peers) {
            p.close();
        }
        server.close();
    }

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

    /**
     * Invariant 4 after a bad message on {@code p}: the stream ends INVALID_ARGUMENT naming
     * {@code field} (and every {@code more}), so does the migration's outcome, the image is the
     * model, and the same receiver then completes a migration.
     */
    void assertRefusedHarmlessly(RawPeer p, String field, String... more) throws Exception {
        String[] fragments = new String[more.length + 1];
        fragments[0] = field;
        System.arraycopy(more, 0, fragments, 1, more.length);
        p.expectError(Status.Code.INVALID_ARGUMENT, fragments);
        assertRefused(field);
        assertImageIsModel();
        assertServerStillWorks();
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
}
