package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.util.Random;
import org.junit.jupiter.api.Test;
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
        ManagedChannel ch = NettyChannelBuilder
                .forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            // a group start, then a field cut short
            Status s = OneMessageStream.sendBytes(ch, new byte[] {0x0b, 0x12, 0x05, 0x01}, RawPeer.TIMEOUT_SECONDS);
            assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode(), s::toString);
            assertTrue(s.getDescription().contains("undecodable protobuf"), s::toString);
        } finally {
            ch.shutdownNow();
        }
        assertRefused("undecodable protobuf");
        assertFalse(Files.exists(image), "no hello, so no image was created");
        assertServerStillWorks();
    }
}
