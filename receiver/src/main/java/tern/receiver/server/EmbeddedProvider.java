package tern.receiver.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import tern.common.embed.EmbeddedReceiver;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/** The receiver a sender runs in its own process (META-INF/services registers it): defaults, plaintext, loopback. */
public final class EmbeddedProvider implements EmbeddedReceiver.Provider {
    @Override
    public EmbeddedReceiver start(Path image) throws IOException {
        ReceiverServer server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image, ReceiverConfig.defaults(),
                SessionListener.NONE);
        return new EmbeddedReceiver() {
            @Override
            public int port() {
                return server.port();
            }

            @Override
            public String awaitFailure() throws InterruptedException {
                MigrationOutcome o = server.awaitOutcome();
                return o.verified() ? null : o.reason();
            }

            @Override
            public void close() throws InterruptedException {
                server.close();
            }
        };
    }
}
