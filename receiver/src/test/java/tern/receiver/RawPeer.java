package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tern.proto.MigrationGrpc;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;

/**
 * A hand-driven sender: one Migrate stream on a plaintext loopback channel. Every reply and the
 * stream's final status go into one queue, in the order they arrived, so a test reads them with a
 * timeout and never sleeps. Published in the receiver's test-jar for the integration tests.
 */
public final class RawPeer implements AutoCloseable {
    public static final long TIMEOUT_SECONDS = 10;

    private final ManagedChannel channel;
    private final long timeoutSeconds;
    private final boolean unread;
    private ClientCallStreamObserver<SenderMessage> requests;
    /** {@link ReceiverMessage}s, then one {@link Status} (OK when the receiver completed the stream). */
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    public RawPeer(int port) {
        this(port, Duration.ofSeconds(TIMEOUT_SECONDS), false);
    }

    private RawPeer(int port, Duration timeout, boolean unread) {
        this.timeoutSeconds = timeout.toSeconds();
        this.unread = unread;
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .maxInboundMessageSize(16 << 20)
                .build();
        MigrationGrpc.newStub(channel).migrate(new ClientResponseObserver<SenderMessage, ReceiverMessage>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<SenderMessage> stream) {
                requests = stream;
                if (unread) {
                    stream.disableAutoRequestWithInitial(0);
                }
            }

            @Override
            public void onNext(ReceiverMessage value) {
                events.add(value);
            }

            @Override
            public void onError(Throwable t) {
                events.add(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                events.add(Status.OK);
            }
        });
    }

    /**
     * A peer that reads no reply until told to ({@link #request}): a sender that floods and does
     * not listen. Its {@link #awaitEnd} reads whatever is left.
     */
    public static RawPeer unread(int port, Duration timeout) {
        return new RawPeer(port, timeout, true);
    }

    /** Lets {@code n} more replies in (an {@link #unread} peer). */
    public void request(int n) {
        requests.request(n);
    }

    public RawPeer send(SenderMessage m) {
        requests.onNext(m);
        return this;
    }

    public void halfClose() {
        requests.onCompleted();
    }

    private Object poll(String what) {
        try {
            Object e = events.poll(timeoutSeconds, TimeUnit.SECONDS);
            if (e == null) {
                fail("no " + what + " from the receiver within " + timeoutSeconds + " s");
            }
            return e;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, ie);
        }
    }

    /** The next reply; fails if the stream ended instead. */
    public ReceiverMessage next() {
        Object e = poll("reply");
        if (e instanceof Status s) {
            fail("expected a reply, but the stream ended with " + s);
        }
        return (ReceiverMessage) e;
    }

    /** The stream's final status; fails if a reply comes first. */
    public Status awaitEnd() {
        if (unread) {
            request(Integer.MAX_VALUE);
        }
        Object e = poll("end of stream");
        if (e instanceof ReceiverMessage m) {
            fail("expected the stream to end, but got a reply: " + m);
        }
        return (Status) e;
    }

    /** Asserts that the stream ends (with no further reply) with {@code code} and a description holding every fragment. */
    public Status expectError(Status.Code code, String... fragments) {
        Status s = awaitEnd();
        assertEquals(code, s.getCode(), () -> "status " + s);
        String d = s.getDescription();
        assertNotNull(d, () -> "status without a description: " + s);
        for (String f : fragments) {
            assertTrue(d.contains(f), () -> "description '" + d + "' does not name '" + f + "'");
        }
        return s;
    }

    /** What a sender sends in Complete for {@code image}: SHA-256 over the SHA-256 digests of its pages, page 0 first. */
    public static byte[] rootOf(byte[] image, int pageSize) throws Exception {
        MessageDigest root = MessageDigest.getInstance("SHA-256");
        MessageDigest page = MessageDigest.getInstance("SHA-256");
        for (int off = 0; off < image.length; off += pageSize) {
            page.update(image, off, pageSize);
            root.update(page.digest());
        }
        return root.digest();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
    }
}
