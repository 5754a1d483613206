package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.InsecureServerCredentials;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.proto.ImageState;
import tern.proto.ReceiverMessage;
import tern.proto.Verdict;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.server.ServerLimits;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * docs/hostile-input.md, one idle peer holds the only migration slot: a stream that sends nothing,
 * a new migration that sends nothing after its hello, a peer that stops reading (a zero HTTP/2
 * window), and a live stream that falls silent. Each is closed by its deadline (here a fraction of
 * a second: the defaults are 30 s and 5 min), and the receiver takes the next sender; only the
 * migration that had received something is held for a resume.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamDeadlineTest {
    static final Duration HELLO = Duration.ofMillis(400);
    static final Duration IDLE = Duration.ofMillis(800);
    static final Duration WAIT = Duration.ofSeconds(RawPeer.TIMEOUT_SECONDS);

    @TempDir
    Path dir;
    Path image;
    ReceiverServer server;
    final BlockingQueue<String> suspended = new LinkedBlockingQueue<>();
    final BlockingQueue<String> refused = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        image = dir.resolve("image.bin");
        SessionListener events = new SessionListener() {
            @Override
            public void suspended(String migrationId, String why, Duration timeout) {
                suspended.add(why);
            }
        };
        server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image, ReceiverConfig.defaults(),
                ServerLimits.defaults().withTimeouts(HELLO, IDLE), events, null, InsecureServerCredentials.create(),
                refused::add);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void aStreamThatSendsNothingIsClosedAtItsHelloDeadline() throws Exception {
        try (RawHttp2 c = RawHttp2.connect(server.port())) {
            int s = c.open();
            RawHttp2.StreamState end = c.awaitEnd(s, WAIT);
            assertEquals(Status.Code.DEADLINE_EXCEEDED.value(), end.grpcStatus(), end::toString);
            assertTrue(end.grpcMessage().contains("no hello within --hello-timeout"), end::toString);
        }
        String line = refused.poll(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(line != null && line.startsWith("refused stream from /127.0.0.1:") && line.contains("--hello-timeout"),
                String.valueOf(line));
        migrateOnce("next");
    }

    /** A peer that never sent a batch after its hello is not worth holding: the migration ends, its token resumes nothing. */
    @Test
    void aNewMigrationThatSendsNothingAfterItsHelloEnds() throws Exception {
        ByteString token;
        try (RawPeer p = new RawPeer(server.port())) {
            p.send(ReceiverFixture.msg(ReceiverFixture.hello().setMigrationId("silent")));
            token = p.next().getAccept().getResumeToken();
            p.expectError(Status.Code.FAILED_PRECONDITION, "no message within --hello-timeout");
        }
        MigrationOutcome o = outcome();
        assertFalse(o.verified());
        assertTrue(o.reason().contains("nothing was received"), o::toString);
        assertTrue(suspended.isEmpty(), "held for a resume: " + suspended);
        try (RawPeer p = new RawPeer(server.port())) {
            p.send(ReceiverFixture.msg(ReceiverFixture.hello().setResumeToken(token)));
            p.expectError(Status.Code.FAILED_PRECONDITION, "no migration to resume");
        }
        assertTrue(outcome().reason().contains("no migration to resume"));
        migrateOnce("next");
    }

    /**
     * A peer that advertises a zero HTTP/2 window cannot read the Accept, so the receiver never
     * reads its next message: the hello's deadline ends the migration, and a real sender gets in.
     */
    @Test
    void aPeerThatReadsNothingLosesItsSlot() throws Exception {
        try (RawHttp2 c = RawHttp2.connect(server.port(), 0)) {
            int s = c.open();
            c.data(s, RawHttp2.grpcFrame(ReceiverFixture.msg(ReceiverFixture.hello().setMigrationId("zero-window"))
                    .toByteArray()), false);
            MigrationOutcome o = outcome();
            assertEquals("zero-window", o.migrationId());
            assertTrue(o.reason().contains("--hello-timeout"), o::toString);
            migrateOnce("next");
        }
    }

    /** A live stream that falls silent is closed UNAVAILABLE and its migration held, as after a lost link; it resumes. */
    @Test
    void aSilentLiveStreamIsClosedAndItsMigrationHeldForAResume() throws Exception {
        ByteString token;
        byte[] page = ReceiverFixture.pattern(3);
        try (RawPeer p = new RawPeer(server.port())) {
            p.send(ReceiverFixture.msg(ReceiverFixture.hello()));
            token = p.next().getAccept().getResumeToken();
            p.send(new Batch(1).raw(2, page).build());
            ReceiverFixture.expectAck(p, 1, page);
            p.expectError(Status.Code.UNAVAILABLE, "--idle-timeout");
        }
        String why = suspended.poll(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertTrue(why != null && why.contains("--idle-timeout"), String.valueOf(why));
        try (RawPeer p = new RawPeer(server.port())) {
            p.send(ReceiverFixture.msg(ReceiverFixture.hello().setResumeToken(token)));
            ReceiverMessage a = p.next();
            assertEquals(ImageState.FROM_TABLE, a.getAccept().getImageState(), a::toString);
            assertTrue(p.next().getTable().getLast());
            byte[] model = new byte[ReceiverFixture.PAGES * ReceiverFixture.PAGE];
            System.arraycopy(page, 0, model, 2 * ReceiverFixture.PAGE, ReceiverFixture.PAGE);
            p.send(ReceiverFixture.complete(ReceiverFixture.rootOf(model), 0));
            Verdict v = p.next().getVerdict();
            assertTrue(v.getOk(), v::getReason);
            assertTrue(outcome().verified());
            assertEquals(-1, java.util.Arrays.mismatch(model, Files.readAllBytes(image)));
        }
    }

    /** A whole small migration: the receiver is free again. */
    private void migrateOnce(String id) throws Exception {
        try (RawPeer p = new RawPeer(server.port())) {
            p.send(ReceiverFixture.msg(ReceiverFixture.hello().setMigrationId(id)));
            assertTrue(p.next().hasAccept());
            byte[] page = ReceiverFixture.pattern(7);
            p.send(new Batch(1).raw(0, page).build());
            ReceiverFixture.expectAck(p, 1, page);
            byte[] model = new byte[ReceiverFixture.PAGES * ReceiverFixture.PAGE];
            System.arraycopy(page, 0, model, 0, ReceiverFixture.PAGE);
            p.send(ReceiverFixture.complete(ReceiverFixture.rootOf(model), 1));
            Verdict v = p.next().getVerdict();
            assertTrue(v.getOk(), v::getReason);
        }
        MigrationOutcome o = outcome();
        assertTrue(o.verified() && o.migrationId().equals(id), o::toString);
    }

    private MigrationOutcome outcome() throws Exception {
        FutureTask<MigrationOutcome> t = new FutureTask<>(server::awaitOutcome);
        Thread th = new Thread(t, "await-outcome");
        th.setDaemon(true);
        th.start();
        return t.get(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
