package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tern.proto.Cancel;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.server.MigrationOutcome;

/**
 * What goes wrong with a stream rather than one message kind: empty and undecodable messages, a
 * message over the transport limit, a sender that half-closes or cancels, a second migration while
 * one is in progress.
 */
class BadStreamTest extends ReceiverFixture {
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
        assertRefusedHarmlessly(p, "kind");
    }

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

    /**
     * A Cancel ends its stream for the receiver too, not only its migration (the service fuzzer's
     * finding: such a stream was never counted as ended, its deadline never stopped), and so does a
     * late one, which finds no migration to cancel.
     */
    @Test
    void aCancelledStreamIsEndedByTheService() throws Exception {
        RawPeer p = accepted(hello());
        storeFirst(p);
        p.send(SenderMessage.newBuilder().setCancel(Cancel.newBuilder().setReason("the operator gave up")).build());
        Status s = p.awaitEnd();
        assertTrue(s.isOk(), s::toString);
        MigrationOutcome o = outcome();
        assertFalse(o.verified(), o::toString);
        assertTrue(o.reason().contains("cancelled by the sender"), o::toString);
        assertTrue(server.awaitIdle(Duration.ofSeconds(RawPeer.TIMEOUT_SECONDS)), server::activity);

        RawPeer late = peer();
        late.send(SenderMessage.newBuilder().setCancel(Cancel.newBuilder().setReason("late")).build());
        late.expectError(Status.Code.FAILED_PRECONDITION, "cancel", "no migration");
        assertTrue(server.awaitIdle(Duration.ofSeconds(RawPeer.TIMEOUT_SECONDS)), server::activity);
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

    /** Bytes that are no protobuf at all (a truncated group) end the stream cleanly, not the receiver. */
    @Test
    void undecodableProtobufIsInvalidArgument() throws Exception {
        try (RawBytesCall call = new RawBytesCall(server.port())) {
            call.send(new byte[] {0x0b, 0x12, 0x05, 0x01}); // a group start, then a field cut short
            Status s = call.awaitEnd();
            assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s::toString);
            assertTrue(s.getDescription().contains("undecodable protobuf"), s::toString);
        }
        assertRefused("undecodable protobuf");
        assertFalse(Files.exists(image), "no hello, so no image was created");
        assertServerStillWorks();
    }

    /**
     * A whole batch followed by a stray end-group tag and more bytes (the service fuzzer's finding:
     * a lying length prefix drew the next frame into the message). A parse that stops at the tag
     * reads a good batch and drops the rest unread; protobuf and gRPC refuse such bytes as no
     * message, and so must the receiver: no ack, nothing stored.
     */
    @Test
    void aBatchFollowedByAStrayEndGroupTagIsUndecodable() throws Exception {
        try (RawBytesCall call = new RawBytesCall(server.port())) {
            call.send(msg(hello()).toByteArray());
            ReceiverMessage accept = ReceiverMessage.parseFrom(call.next());
            assertTrue(accept.hasAccept(), accept::toString);
            byte[] batch = new Batch(1).raw(2, pattern(1)).build().toByteArray();
            byte[] strayEndGroup = {0x34, 0x00, 0x00, 0x00, 0x78}; // field 6, wire type 4; then what it would hide
            byte[] wire = Arrays.copyOf(batch, batch.length + strayEndGroup.length);
            System.arraycopy(strayEndGroup, 0, wire, batch.length, strayEndGroup.length);
            call.send(wire);
            Status s = call.awaitEnd();
            assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s::toString);
            assertTrue(s.getDescription().contains("undecodable protobuf"), s::toString);
            assertTrue(call.replies.isEmpty(), () -> "no reply after the Accept, got " + call.replies);
        }
        assertRefused("undecodable protobuf");
        assertImageIsModel(); // all zero: the batch was not stored
        assertServerStillWorks();
    }

    /** A call of the receiver's method below any protobuf marshalling: the peer's bytes are sent as they are. */
    private static final class RawBytesCall implements AutoCloseable {
        private final ManagedChannel channel;
        private final StreamObserver<byte[]> out;
        final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        private final CompletableFuture<Status> closed = new CompletableFuture<>();

        RawBytesCall(int port) {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            out = ClientCalls.asyncBidiStreamingCall(channel.newCall(OneMessageStream.RAW_MIGRATE, CallOptions.DEFAULT), new StreamObserver<>() {
                @Override
                public void onNext(byte[] value) {
                    replies.add(value);
                }

                @Override
                public void onError(Throwable t) {
                    closed.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    closed.complete(Status.OK);
                }
            });
        }

        void send(byte[] message) {
            out.onNext(message);
        }

        byte[] next() throws InterruptedException {
            byte[] r = replies.poll(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(r, "no reply within " + RawPeer.TIMEOUT_SECONDS + " s");
            return r;
        }

        Status awaitEnd() throws Exception {
            return closed.get(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }
}
