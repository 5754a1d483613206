package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.proto.Accept;
import tern.proto.DigestTableChunk;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.Verdict;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * Resume as the receiver sees it, over real loopback gRPC: a lost stream leaves the migration
 * held; a stream with a wrong token or none is refused without touching it; the right token gets
 * the table (in chunks: this image's table is over 1 MiB) and continues to a verified end. And a
 * restarted receiver: a sealed table is trusted only while the image is as it was sealed.
 * Digests are computed here with the JDK, independently of the code under test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ResumeProtocolTest {
    static final int PAGE = ReceiverFixture.PAGE;
    /** 40,000 pages of SHA-256: a 1.28 MB table, more than one chunk. The image is sparse. */
    static final int PAGES = 40_000;

    @TempDir
    Path dir;
    final List<RawPeer> peers = new ArrayList<>();
    final List<ReceiverServer> servers = new ArrayList<>();
    final BlockingQueue<String> suspended = new LinkedBlockingQueue<>();

    final SessionListener events = new SessionListener() {
        @Override
        public void suspended(String migrationId, String why, Duration timeout) {
            suspended.add(migrationId);
        }
    };

    @AfterEach
    void stop() throws Exception {
        for (RawPeer p : peers) {
            p.close();
        }
        for (ReceiverServer s : servers) {
            s.close();
        }
    }

    ReceiverServer start(Path image, MigrationSession restored) throws Exception {
        ReceiverServer s = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image, ReceiverConfig.defaults(),
                events, restored);
        servers.add(s);
        return s;
    }

    RawPeer peer(ReceiverServer s) {
        RawPeer p = new RawPeer(s.port());
        peers.add(p);
        return p;
    }

    /** A new stream on {@code s} that has sent {@code h}. */
    RawPeer sendHello(ReceiverServer s, Hello.Builder h) {
        return peer(s).send(ReceiverFixture.msg(h));
    }

    /** The migration was held for a resume (its resume file sealed), reported by the session listener. */
    void assertHeld(String why) throws InterruptedException {
        assertEquals("resume-test", suspended.poll(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS), why);
    }

    /** What a restarted receiver reads back from {@code image}'s resume file (null: none). */
    static MigrationSession restore(Path image) throws Exception {
        return MigrationSession.restore(image, ReceiverConfig.defaults(), SessionListener.NONE);
    }

    static Hello.Builder hello() {
        return ReceiverFixture.hello().setPageCount(PAGES).setMigrationId("resume-test");
    }

    /** A stream whose new migration was accepted and stored page 2 in batch 1, and the migration's token. */
    record Started(RawPeer peer, ByteString token) {
    }

    Started newMigration(ReceiverServer s) {
        RawPeer p = sendHello(s, hello());
        ReceiverMessage r = p.next();
        assertTrue(r.hasAccept(), r::toString);
        assertEquals(ImageState.ZEROED, r.getAccept().getImageState());
        ByteString token = r.getAccept().getResumeToken();
        assertEquals(16, token.size(), "a 128-bit random token");
        p.send(new Batch(1).raw(2, ReceiverFixture.pattern(1)).build());
        ReceiverFixture.expectAck(p, 1, ReceiverFixture.pattern(1));
        return new Started(p, token);
    }

    /** Accepts a new migration, stores page 2 and loses the stream; returns the token. */
    ByteString startAndLose(ReceiverServer s) throws Exception {
        Started started = newMigration(s);
        started.peer().close(); // the connection goes: the receiver must hold the migration, not end it
        assertHeld("migration held for a resume");
        return started.token();
    }

    /**
     * On {@code p}, which feeds the migration {@link #newMigration} began: page 5 in batch {@code sequence},
     * then completion, verified, with the image holding pages 2 and 5 and zeros elsewhere.
     */
    static MigrationOutcome storePage5AndVerify(ReceiverServer s, Path image, RawPeer p, long sequence) throws Exception {
        p.send(new Batch(sequence).raw(5, ReceiverFixture.pattern(5)).build());
        ReceiverFixture.expectAck(p, sequence, ReceiverFixture.pattern(5));
        byte[] model = new byte[PAGES * PAGE];
        System.arraycopy(ReceiverFixture.pattern(1), 0, model, 2 * PAGE, PAGE);
        System.arraycopy(ReceiverFixture.pattern(5), 0, model, 5 * PAGE, PAGE);
        p.send(ReceiverFixture.complete(ReceiverFixture.rootOf(model), sequence));
        ReceiverMessage v = p.next();
        assertTrue(v.hasVerdict(), v::toString);
        Verdict verdict = v.getVerdict();
        assertTrue(verdict.getOk(), verdict::getReason);
        MigrationOutcome o = s.awaitOutcome();
        assertTrue(o.verified(), o::toString);
        assertArrayEquals(model, Files.readAllBytes(image));
        return o;
    }

    @Test
    void onlyTheTokenResumesAndTheTableFollowsInChunks() throws Exception {
        Path image = dir.resolve("image.bin");
        ReceiverServer s = start(image, null);
        ByteString token = startAndLose(s);

        // a wrong token, none, another geometry, another page size
        sendHello(s, hello().setResumeToken(ByteString.copyFrom(new byte[16])))
                .expectError(Status.Code.PERMISSION_DENIED, "hello.resume_token");
        sendHello(s, hello()).expectError(Status.Code.FAILED_PRECONDITION, "already in progress", "resume_token");
        sendHello(s, hello().setPageCount(PAGES - 1).setResumeToken(token))
                .expectError(Status.Code.FAILED_PRECONDITION, "hello.page_count");
        sendHello(s, hello().setPageSize(PAGE / 2).setResumeToken(token))
                .expectError(Status.Code.FAILED_PRECONDITION, "hello.page_size");

        RawPeer p = sendHello(s, hello().setResumeToken(token));
        ReceiverMessage r = p.next();
        assertTrue(r.hasAccept(), r::toString);
        Accept a = r.getAccept();
        assertEquals(ImageState.FROM_TABLE, a.getImageState());
        assertEquals(token, a.getResumeToken());
        byte[] table = readTable(p);
        byte[] zero = ReceiverFixture.sha256(new byte[PAGE]);
        for (int page = 0; page < PAGES; page++) {
            byte[] want = page == 2 ? ReceiverFixture.sha256(ReceiverFixture.pattern(1)) : zero;
            int at = page;
            assertArrayEquals(want, Arrays.copyOfRange(table, page * 32, page * 32 + 32), () -> "table page " + at);
        }

        // a resumed stream states its iteration and numbers its batches from 1 again
        p.send(ReceiverFixture.mark(1, Phase.BULK));
        MigrationOutcome o = storePage5AndVerify(s, image, p, 1);
        // the refused streams reported no outcome: the first one is this migration's, verified
        assertEquals("resume-test", o.migrationId());
    }

    @Test
    void theRightTokenReplacesAStreamTheReceiverStillThinksAlive() throws Exception {
        Path image = dir.resolve("image.bin");
        ReceiverServer s = start(image, null);
        Started stale = newMigration(s);
        // no reset reached the receiver (a dark link): the first stream is still open when the sender comes back
        RawPeer fresh = sendHello(s, hello().setResumeToken(stale.token()));
        assertEquals(ImageState.FROM_TABLE, fresh.next().getAccept().getImageState());
        stale.peer().expectError(Status.Code.ABORTED, "replaced by a stream that resumed migration resume-test");
        readTable(fresh);
        // the new stream continues the migration where the stale one left it
        fresh.send(ReceiverFixture.mark(1, Phase.BULK));
        storePage5AndVerify(s, image, fresh, 1);
    }

    /**
     * A resume the receiver cannot record (its resume file cannot be unsealed) is refused and takes
     * nothing from the stream it would have replaced.
     */
    @Test
    void aResumeThatCannotUnsealLeavesTheOldStreamFeedingTheMigration() throws Exception {
        Path image = dir.resolve("image.bin");
        ReceiverServer s = start(image, null);
        Started stale = newMigration(s);
        // the resume file is written through this temporary name: a directory there makes the write fail
        Path blocker = Files.createDirectory(dir.resolve("image.bin.tern-resume.tmp"));
        sendHello(s, hello().setResumeToken(stale.token())).expectError(Status.Code.FAILED_PRECONDITION, "resume file");
        Files.delete(blocker);
        // the first stream was not replaced: it goes on to a verified end
        storePage5AndVerify(s, image, stale.peer(), 2);
    }

    /** The whole table, checking the chunks are in order, without gaps, and more than one. */
    static byte[] readTable(RawPeer p) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int chunks = 0;
        while (true) {
            ReceiverMessage m = p.next();
            assertTrue(m.hasTable(), () -> "expected a table chunk, got " + m.getKindCase());
            DigestTableChunk c = m.getTable();
            assertEquals(all.size() / 32, c.getFirstPage(), "chunks follow each other");
            all.writeBytes(c.getDigests().toByteArray());
            chunks++;
            if (c.getLast()) {
                break;
            }
        }
        assertEquals(PAGES * 32, all.size(), "one digest per page");
        assertTrue(chunks >= 2, "a 1.28 MB table comes in more than one chunk: " + chunks);
        return all.toByteArray();
    }

    @Test
    void restartedReceiverTrustsASealedTableOnlyWhileTheImageIsUnchanged() throws Exception {
        Path image = dir.resolve("image.bin");
        ReceiverServer first = start(image, null);
        ByteString token = startAndLose(first);
        first.close();
        servers.remove(first);

        MigrationSession trusted = restore(image);
        assertNotNull(trusted, "a held migration leaves a resume file");
        assertNull(trusted.restoredDistrust(), "sealed and untouched: trusted");
        assertArrayEquals(ReceiverFixture.sha256(ReceiverFixture.pattern(1)), digestOf(trusted, 2));
        trusted.close();

        // written through write(2) while the receiver is down
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(ReceiverFixture.pattern(77)), 9L * PAGE);
        }
        MigrationSession rebuilt = restore(image);
        assertNotNull(rebuilt.restoredDistrust(), "a changed image is not trusted");
        assertTrue(rebuilt.restoredDistrust().contains("changed"), rebuilt.restoredDistrust());
        assertArrayEquals(ReceiverFixture.sha256(ReceiverFixture.pattern(77)), digestOf(rebuilt, 9), "rebuilt from the bytes");
        assertArrayEquals(ReceiverFixture.sha256(ReceiverFixture.pattern(1)), digestOf(rebuilt, 2));

        // the restarted receiver serves the resume with the rebuilt table
        ReceiverServer second = start(image, rebuilt);
        RawPeer p = sendHello(second, hello().setResumeToken(token));
        assertEquals(ImageState.FROM_TABLE, p.next().getAccept().getImageState());
        byte[] table = readTable(p);
        assertArrayEquals(ReceiverFixture.sha256(ReceiverFixture.pattern(77)), Arrays.copyOfRange(table, 9 * 32, 10 * 32));
        p.close();
        assertHeld("sealed again on loss");
        second.close();
        servers.remove(second);

        // a store through a shared mapping, the way a guest's RAM file is written
        MigrationSession again = restore(image);
        assertNull(again.restoredDistrust(), "resealed after the resume: trusted again");
        again.close();
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 11L * PAGE, PAGE);
            m.put(100, (byte) 0x5a);
            m.force();
        }
        MigrationSession mapped = restore(image);
        assertNotNull(mapped.restoredDistrust(), "a store through a mapping is noticed");
        byte[] page11 = new byte[PAGE];
        page11[100] = 0x5a;
        assertArrayEquals(ReceiverFixture.sha256(page11), digestOf(mapped, 11));
        mapped.close();
    }

    /**
     * A receiver closed with a migration in it, streaming or held: the migration is sealed for a
     * restarted receiver, which trusts its table (MigrationServiceShutdownTest: nothing is
     * scheduled on the stopped resume timer).
     */
    @Test
    void aReceiverClosedWithAMigrationInItLeavesItSealed() throws Exception {
        for (boolean streaming : new boolean[] {true, false}) {
            Path image = dir.resolve("closed-" + streaming + ".bin");
            ReceiverServer s = start(image, null);
            if (streaming) {
                newMigration(s);
            } else {
                startAndLose(s);
            }
            s.close();
            servers.remove(s);
            if (streaming) {
                // the stream is cancelled by the close; its loss seals the migration
                assertHeld("sealed on loss");
            }
            MigrationSession restored = restore(image);
            assertNotNull(restored, "the migration is left for a restarted receiver (streaming: " + streaming + ")");
            assertNull(restored.restoredDistrust(), "sealed, so its table is trusted");
            restored.close();
        }
    }

    static byte[] digestOf(MigrationSession s, int page) {
        DigestTableChunk c = s.resumeState().tableChunk(0);
        return c.getDigests().substring(page * 32, page * 32 + 32).toByteArray();
    }
}
