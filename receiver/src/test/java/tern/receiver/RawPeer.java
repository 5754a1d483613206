package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tern.proto.MigrationGrpc;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;

/**
 * A hand-driven sender: one Migrate stream on a plaintext loopback channel. Every reply and the
 * stream's final status go into one queue, in the order they arrived, so a test reads them with a
 * timeout and never sleeps.
 */
final class RawPeer implements AutoCloseable {
    static final long TIMEOUT_SECONDS = 10;

    private final ManagedChannel channel;
    private final StreamObserver<SenderMessage> requests;
    /** {@link ReceiverMessage}s, then one {@link Status} (OK when the receiver completed the stream). */
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

    RawPeer(int port) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                .usePlaintext()
                .maxInboundMessageSize(16 << 20)
                .build();
        requests = MigrationGrpc.newStub(channel).migrate(new StreamObserver<>() {
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

    RawPeer send(SenderMessage m) {
        requests.onNext(m);
        return this;
    }

    void halfClose() {
        requests.onCompleted();
    }

    private Object poll(String what) {
        try {
            Object e = events.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (e == null) {
                fail("no " + what + " from the receiver within " + TIMEOUT_SECONDS + " s");
            }
            return e;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + what, ie);
        }
    }

    /** The next reply; fails if the stream ended instead. */
    ReceiverMessage next() {
        Object e = poll("reply");
        if (e instanceof Status s) {
            fail("expected a reply, but the stream ended with " + s);
        }
        return (ReceiverMessage) e;
    }

    /** The stream's final status; fails if a reply comes first. */
    Status awaitEnd() {
        Object e = poll("end of stream");
        if (e instanceof ReceiverMessage m) {
            fail("expected the stream to end, but got a reply: " + m);
        }
        return (Status) e;
    }

    /** Asserts that the stream ends (with no further reply) with {@code code} and a description holding every fragment. */
    Status expectError(Status.Code code, String... fragments) {
        Status s = awaitEnd();
        assertEquals(code, s.getCode(), () -> "status " + s);
        String d = s.getDescription();
        assertNotNull(d, () -> "status without a description: " + s);
        for (String f : fragments) {
            assertTrue(d.contains(f), () -> "description '" + d + "' does not name '" + f + "'");
        }
        return s;
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
    }
}
