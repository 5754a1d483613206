package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.InsecureServerCredentials;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import tern.proto.ReceiverMessage;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.server.ServerLimits;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * The hostile client's findings at the transport (docs/hostile-input.md), each against a real
 * receiver on loopback, most through {@link RawHttp2}: partial first messages, oversized and
 * compressed messages, rapid reset, streams per connection and connections.
 */
class HostileTransportTest extends ReceiverFixture {
    static final Duration WAIT = Duration.ofSeconds(RawPeer.TIMEOUT_SECONDS);
    private final List<RawHttp2> connections = new ArrayList<>();

    RawHttp2 connect(int port) throws Exception {
        RawHttp2 c = RawHttp2.connect(port);
        connections.add(c);
        return c;
    }

    @org.junit.jupiter.api.AfterEach
    void closeConnections() throws Exception {
        for (RawHttp2 c : connections) {
            c.close();
        }
    }

    /**
     * A 4 MiB length prefix and then bytes, with no hello: once held 4 MiB per stream, and 200 such
     * streams took a receiver to 1.8 GiB. The first message of a stream may be 64 KiB.
     */
    @Test
    void aFirstMessageOverTheHelloLimitIsRefusedFromItsBytes() throws Exception {
        RawHttp2 c = connect(server.port());
        int s = c.open();
        byte[] body = new byte[256 << 10];
        new Random(1).nextBytes(body);
        c.data(s, RawHttp2.grpcFrame(0, 4 << 20, body), 0, 5 + body.length, false, Duration.ofSeconds(2));
        RawHttp2.StreamState end = c.awaitEnd(s, WAIT);
        assertEquals(Status.Code.RESOURCE_EXHAUSTED.value(), end.grpcStatus(), end::toString);
        assertTrue(end.grpcMessage().contains("before a hello was accepted") && end.grpcMessage().contains("64.0 KiB"),
                end::toString);
        assertFalse(Files.exists(image), "no hello, so no image");
        assertServerStillWorks();
    }

    /**
     * An oversized message after the hello once ended the stream CANCELLED, with no status, and the
     * migration was then held for a resume as if the link had dropped, with a 20-line stack trace
     * logged per message. Now: RESOURCE_EXHAUSTED naming the size and the limit, the migration
     * ended for good (its token resumes nothing), and no stack trace.
     */
    @Test
    void anOversizedMessageAfterTheHelloEndsTheMigrationForGood() throws Exception {
        List<LogRecord> logged = new ArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    synchronized (logged) {
                        logged.add(r);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger grpc = Logger.getLogger("io.grpc");
        grpc.addHandler(h);
        try (ReceiverServer resumable = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image,
                ReceiverConfig.defaults(), SessionListener.NONE);
             RawPeer p = new RawPeer(resumable.port())) {
            p.send(msg(hello()));
            ReceiverMessage accept = p.next();
            ByteString token = accept.getAccept().getResumeToken();
            byte[] a = pattern(1);
            p.send(new Batch(1).raw(2, a).build());
            putModel(2, a);
            expectAck(p, 1, a);
            byte[] huge = new byte[5 << 20];
            p.send(new Batch(2).page(3, RAW, huge, PAGE).build());
            Status s = p.expectError(Status.Code.RESOURCE_EXHAUSTED, "message 3", "bytes exceed", "4194304",
                    "--max-message");
            assertTrue(s.getDescription().matches(".*\\b52[0-9]{5}\\b.*"), () -> "names the size: " + s);
            MigrationOutcome o = outcomeOf(resumable);
            assertFalse(o.verified(), o::toString);
            assertTrue(o.reason().contains("--max-message"), o::toString);
            try (RawPeer again = new RawPeer(resumable.port())) {
                again.send(msg(hello().setResumeToken(token)));
                again.expectError(Status.Code.FAILED_PRECONDITION, "hello.resume_token", "no migration to resume");
            }
            assertImageIsModel();
        } finally {
            grpc.removeHandler(h);
        }
        synchronized (logged) {
            for (LogRecord r : logged) {
                assertTrue(r.getThrown() == null, () -> "a stack trace was logged: " + r.getLoggerName() + ": " + r.getMessage());
            }
        }
    }

    /**
     * Found by the service fuzzer (ServiceFuzzTest): an empty DATA frame inside a message (legal
     * HTTP/2) once made the receiver's zero-copy parser spin for ever on the empty buffer, holding
     * a thread at full CPU and never answering the stream. The hello is now read as any other.
     */
    @Test
    void anEmptyDataFrameInsideAMessageIsReadLikeAnyOther() throws Exception {
        RawHttp2 c = connect(server.port());
        int s = c.open();
        byte[] w = RawHttp2.grpcFrame(msg(hello()).toByteArray());
        c.data(s, w, 0, 13, false, WAIT);
        c.data(s, w, 13, 0, false, WAIT);
        c.data(s, w, 13, w.length - 13, false, WAIT);
        List<byte[]> replies = c.awaitMessages(s, 1, WAIT);
        assertEquals(1, replies.size(), () -> "no Accept: " + c.stream(s));
        assertTrue(ReceiverMessage.parseFrom(replies.get(0)).hasAccept());
        c.reset(s, RawHttp2.CANCEL);
        assertFalse(outcome().verified());
        assertServerStillWorks();
    }

    /** Compression is refused (a small compressed message could expand to --max-message): before the hello, and after. */
    @Test
    void compressedMessagesAreRefused() throws Exception {
        RawHttp2 c = connect(server.port());
        int gzip = c.open(true);
        RawHttp2.StreamState g = c.awaitEnd(gzip, WAIT);
        assertEquals(Status.Code.UNIMPLEMENTED.value(), g.grpcStatus(), g::toString);

        int s = c.open();
        c.data(s, RawHttp2.grpcFrame(msg(hello()).toByteArray()), false);
        // the Accept first: a transport refusal closes the call at once, and would race the Accept
        assertEquals(1, c.awaitMessages(s, 1, WAIT).size(), () -> "no Accept: " + c.stream(s));
        c.data(s, RawHttp2.grpcFrame(1, 5, new byte[] {1, 2, 3, 4, 5}), false);
        RawHttp2.StreamState end = c.awaitEnd(s, WAIT);
        assertEquals(1, end.messages().size(), "the hello's Accept, nothing after it");
        assertEquals(Status.Code.INTERNAL.value(), end.grpcStatus(), end::toString);
        assertTrue(end.grpcMessage().contains("message 2") && end.grpcMessage().contains("compress"), end::toString);
        assertRefused("compress");
        assertServerStillWorks();
    }

    /** CVE-2023-44487: 400,000 HEADERS+RST_STREAM pairs once went through in 16 s; the connection now ends in a GOAWAY. */
    @Test
    void rapidResetEndsTheConnectionWithAGoAway() throws Exception {
        RawHttp2 c = connect(server.port());
        int pairs = 0;
        try {
            while (pairs < 10_000 && c.goAwayCode() == null && !c.closed()) {
                int s = c.open();
                c.reset(s, RawHttp2.CANCEL);
                pairs++;
            }
        } catch (java.io.IOException closedByTheServer) {
            // the server closed the connection while pairs were still going out
        }
        Integer code = c.awaitGoAway(WAIT);
        assertNotNull(code, "no GOAWAY after " + pairs + " HEADERS+RST_STREAM pairs");
        assertEquals(RawHttp2.ENHANCE_YOUR_CALM, code, "GOAWAY code");
        assertTrue(pairs < 10_000, "the server let " + pairs + " pairs through");
        assertServerStillWorks();
    }

    /** A connection may have 8 streams open: the ninth is refused by the transport (REFUSED_STREAM). */
    @Test
    void streamsPerConnectionAreLimited() throws Exception {
        RawHttp2 c = connect(server.port());
        for (int i = 0; i < ServerLimits.MAX_CALLS_PER_CONNECTION; i++) {
            c.open();
        }
        int ninth = c.open();
        RawHttp2.StreamState end = c.awaitEnd(ninth, WAIT);
        assertEquals(7, end.resetCode(), () -> "REFUSED_STREAM expected: " + end);
    }

    /** Connections beyond --max-connections are closed as they are accepted, with one line saying so. */
    @Test
    void connectionsBeyondTheLimitAreClosedAtOnce() throws Exception {
        BlockingQueue<String> refused = new LinkedBlockingQueue<>();
        try (ReceiverServer two = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve("two.img"),
                ReceiverConfig.defaults().withResumeTimeout(Duration.ZERO), ServerLimits.defaults().withMaxConnections(2),
                SessionListener.NONE, null, InsecureServerCredentials.create(), refused::add)) {
            RawHttp2 first = connect(two.port());
            RawHttp2 second = connect(two.port());
            assertTrue(first.ping(WAIT) && second.ping(WAIT));
            RawHttp2 third = connect(two.port());
            assertTrue(third.awaitClosed(WAIT), "the third connection was served");
            String line = refused.poll(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(line);
            assertTrue(line.startsWith("refused connection from /127.0.0.1:") && line.contains("--max-connections"), line);
            // the two it let in are served as before
            int s = second.open();
            second.data(s, RawHttp2.grpcFrame(msg(hello()).toByteArray()), false);
            assertEquals(1, second.awaitMessages(s, 1, WAIT).size(), () -> "no Accept: " + second.stream(s));
        }
    }

    private static MigrationOutcome outcomeOf(ReceiverServer s) throws Exception {
        java.util.concurrent.FutureTask<MigrationOutcome> t = new java.util.concurrent.FutureTask<>(s::awaitOutcome);
        Thread th = new Thread(t, "await-outcome");
        th.setDaemon(true);
        th.start();
        return t.get(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
}
