package tern.sender.engine;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;
import tern.sender.source.MemorySource;
import tern.sender.transport.MigrationChannel;

/** A real receiver on loopback and a real gRPC channel to it: the engine under test talks to both. */
final class Loopback implements AutoCloseable {
    final Path image;
    final ReceiverServer server;

    Loopback(Path dir) throws Exception {
        this(dir, SessionListener.NONE);
    }

    /** @param receiverSide called on the receiver's stream thread, in stream order */
    Loopback(Path dir, SessionListener receiverSide) throws Exception {
        this.image = dir.resolve("image.img");
        this.server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image, ReceiverConfig.defaults(),
                receiverSide);
    }

    /** Runs one migration to its end; the receiver's outcome is checked by the caller. */
    Run migrate(MemorySource source, EngineConfig cfg, EngineListener listener) throws Exception {
        try (MigrationChannel ch = MigrationChannel.connect(InetSocketAddress.createUnresolved("127.0.0.1", server.port()),
                ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
            MigrationResult r;
            try {
                r = new PrecopyLoop(source, cfg, ch, listener).run();
            } catch (MigrationFailure f) {
                return new Run(null, f, server.awaitOutcome());
            }
            return new Run(r, null, server.awaitOutcome());
        }
    }

    byte[] imageBytes() throws Exception {
        return Files.readAllBytes(image);
    }

    @Override
    public void close() throws Exception {
        server.close();
    }

    record Run(MigrationResult result, MigrationFailure failure, MigrationOutcome outcome) {
        long sent() {
            return result.summary().pagesSent();
        }
    }
}
