package tern.sender.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.SenderMessage;
import tern.receiver.image.ResumeFile;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/** The channel against a real receiver on loopback: giving up is a Cancel the receiver acts on at once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MigrationChannelTest {
    @TempDir
    Path dir;

    private static SenderMessage hello(String id) {
        return SenderMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setMigrationId(id)
                .setPageSize(4096).setPageCount(16).setDigest(DigestAlgorithm.SHA256).addEncodings(PageEncoding.RAW)
                .addEncodings(PageEncoding.ZERO).setMaxBatchPages(16).setStreamIndex(0).setStreamCount(1)).build();
    }

    /** The first batch: page 0, zero. A migration fed nothing after its hello is not held for a resume. */
    private static SenderMessage zeroPage() {
        return SenderMessage.newBuilder().setBatch(PageBatch.newBuilder().setSequence(1).setIteration(1).addPageIndexes(0)
                .setEncodings(ByteString.copyFrom(new byte[] {(byte) PageEncoding.ZERO_VALUE})).addPayloadLengths(0))
                .build();
    }

    private ReceiverServer receiver(Duration resumeTimeout) throws Exception {
        ReceiverConfig d = ReceiverConfig.defaults();
        return ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve("image.img"),
                new ReceiverConfig(d.maxMessageBytes(), d.window(), d.maxImageBytes(), resumeTimeout), SessionListener.NONE);
    }

    private static MigrationChannel channel(ReceiverServer server) {
        return MigrationChannel.connect(InetSocketAddress.createUnresolved("127.0.0.1", server.port()),
                ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES);
    }

    /** An abort ends the migration on the receiver, naming why, and the channel keeps its reason for whoever calls next. */
    @Test
    void abortEndsTheMigrationAndLaterCallsNameWhy() throws Exception {
        try (ReceiverServer server = receiver(Duration.ofSeconds(60)); MigrationChannel ch = channel(server)) {
            ch.open();
            ch.send(hello("abort"));
            assertTrue(ch.take().hasAccept());

            ch.abort("the source could not be paused", ByteString.EMPTY);

            // a Cancel: the receiver ends the migration rather than holding it for a resume
            MigrationOutcome o = server.awaitOutcome();
            assertFalse(o.verified(), o::toString);
            assertEquals("cancelled by the sender: the source could not be paused", o.reason());
            assertFalse(Files.exists(ResumeFile.pathFor(dir.resolve("image.img"))), "the resume file is gone");
            MigrationChannel.ChannelException e = assertThrows(MigrationChannel.ChannelException.class, ch::take);
            assertTrue(e.getMessage().contains("the source could not be paused"), e::getMessage);
            assertFalse(e.resumable(), "an abandoned migration is not resumed");
            assertThrows(MigrationChannel.ChannelException.class, ch::reconnect, "no reconnection after giving up");
        }
    }

    /** After a verdict the link may die: the half-close never fails, so a verified migration stays verified. */
    @Test
    void finishNeverFailsOnAStreamThatEnded() throws Exception {
        try (ReceiverServer server = receiver(Duration.ofSeconds(60)); MigrationChannel ch = channel(server)) {
            ch.open();
            ch.send(SenderMessage.newBuilder().build()); // refused: the receiver ends the stream
            assertThrows(MigrationChannel.ChannelException.class, ch::take);
            ch.finish();
            ch.finish();
        }
    }

    /** A cancel from another thread is confirmed by the receiver, and the reason is logged printable. */
    @Test
    void cancelIsConfirmedAndItsReasonMadePrintable() throws Exception {
        try (ReceiverServer server = receiver(Duration.ofSeconds(60)); MigrationChannel ch = channel(server)) {
            ch.open();
            ch.send(hello("cancel"));
            assertTrue(ch.take().hasAccept());
            boolean[] confirmed = new boolean[1];
            Thread other = new Thread(() -> {
                try {
                    confirmed[0] = ch.cancel("interrupted by SIGTERM\n\033[31mred", ByteString.EMPTY, Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            other.start();
            other.join();
            assertTrue(confirmed[0], "the receiver closed the stream after the cancel");
            assertEquals("cancelled by the sender: interrupted by SIGTERM\\u000a\\u001b[31mred", server.awaitOutcome().reason());
        }
    }

    /**
     * A migration whose stream is gone (held for a resume) is ended by a Cancel on a stream of its
     * own with the migration's token; another token is refused and changes nothing.
     */
    @Test
    void aHeldMigrationIsCancelledByItsToken() throws Exception {
        try (ReceiverServer server = receiver(Duration.ofSeconds(60))) {
            ByteString token;
            try (MigrationChannel ch = channel(server)) {
                ch.open();
                ch.send(hello("held"));
                token = ch.take().getAccept().getResumeToken();
                ch.send(zeroPage());
                assertTrue(ch.take().hasAck());
                ch.reconnect(); // drops the connection without a word: the receiver holds the migration for a resume
            }
            try (MigrationChannel stranger = channel(server)) {
                assertFalse(stranger.cancel("not mine", ByteString.copyFromUtf8("0123456789abcdef"), Duration.ofSeconds(30)),
                        "another token is refused");
            }
            try (MigrationChannel ch = channel(server)) {
                assertTrue(ch.cancel("the sender gave up", token, Duration.ofSeconds(30)));
            }
            MigrationOutcome o = server.awaitOutcome();
            assertEquals("held", o.migrationId());
            assertEquals("cancelled by the sender: the sender gave up", o.reason());
        }
    }

    /**
     * A peer that takes the TCP connection and never answers in HTTP/2 (a receiver gone behind a
     * proxy) does not hold a bounded send for ever: it fails as a lost connection, which a resume
     * counts as one more attempt before its deadline.
     */
    @Test
    void aSendBoundedByADeadlineFailsOnAPeerThatNeverOpensTheStream() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             MigrationChannel ch = MigrationChannel.connect(InetSocketAddress.createUnresolved("127.0.0.1",
                     silent.getLocalPort()), ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
            ch.open();
            MigrationChannel.ChannelException e = assertThrows(MigrationChannel.ChannelException.class,
                    () -> ch.send(hello("silent"), TimeUnit.MILLISECONDS.toNanos(300)));
            assertTrue(e.resumable(), e.getMessage());
        }
    }
}
