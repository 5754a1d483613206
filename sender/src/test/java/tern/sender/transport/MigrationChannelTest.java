package tern.sender.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.PageEncoding;
import tern.proto.SenderMessage;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/** The channel against a real receiver on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MigrationChannelTest {
    @TempDir
    Path dir;

    /** An abort ends the migration on the receiver, and the channel keeps its reason for whoever calls next. */
    @Test
    void abortEndsTheMigrationAndLaterCallsNameWhy() throws Exception {
        try (ReceiverServer server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve("image.img"),
                ReceiverConfig.defaults(), SessionListener.NONE);
             MigrationChannel ch = MigrationChannel.connect(InetSocketAddress.createUnresolved("127.0.0.1", server.port()),
                     ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
            ch.open();
            ch.send(SenderMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setMigrationId("abort")
                    .setPageSize(4096).setPageCount(16).setDigest(DigestAlgorithm.SHA256).addEncodings(PageEncoding.RAW)
                    .setMaxBatchPages(16).setStreamIndex(0).setStreamCount(1)).build());
            assertTrue(ch.take().hasAccept());

            ch.abort("the source could not be paused");

            // a half-close before completion: the receiver ends the migration rather than holding it for a resume
            MigrationOutcome o = server.awaitOutcome();
            assertFalse(o.verified(), o::toString);
            assertTrue(o.reason().contains("closed the stream before completion"), o::toString);
            MigrationChannel.ChannelException e = assertThrows(MigrationChannel.ChannelException.class, ch::take);
            assertTrue(e.getMessage().contains("the source could not be paused"), e::getMessage);
            assertFalse(e.resumable(), "an abandoned migration is not resumed");
        }
    }
}
