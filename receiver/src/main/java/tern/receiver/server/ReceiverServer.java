package tern.receiver.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/** A running receiver: a gRPC server bound to an address, writing migrations into one image. */
public final class ReceiverServer implements AutoCloseable {
    private final Server server;
    private final BlockingQueue<MigrationOutcome> outcomes = new LinkedBlockingQueue<>();
    private MigrationService service;

    private ReceiverServer(Server server) {
        this.server = server;
    }

    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config,
                                       SessionListener listener) throws IOException {
        return start(listen, image, config, listener, null);
    }

    /** @param restored a migration a restarted receiver found next to its image, held for its sender's resume; or null */
    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config,
                                       SessionListener listener, MigrationSession restored) throws IOException {
        ReceiverServer[] self = new ReceiverServer[1];
        MigrationService service = new MigrationService(image, config, listener, o -> self[0].outcomes.add(o), restored);
        Server server = serverFor(listen, config)
                .addService(service.definition())
                .build();
        self[0] = new ReceiverServer(server);
        self[0].service = service;
        server.start();
        return self[0];
    }

    /** The one place the receiver's transport is configured. */
    private static NettyServerBuilder serverFor(InetSocketAddress listen, ReceiverConfig config) {
        return NettyServerBuilder.forAddress(listen)
                .maxInboundMessageSize(config.maxMessageBytes())
                // senders may ping every second (--keepalive) to notice a dark link quickly
                .permitKeepAliveTime(1, TimeUnit.SECONDS);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getListenSockets().get(0);
    }

    public int port() {
        return address().getPort();
    }

    /** Blocks until the next migration ends, however it ends. */
    public MigrationOutcome awaitOutcome() throws InterruptedException {
        return outcomes.take();
    }

    @Override
    public void close() throws InterruptedException {
        service.shutdown();
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow();
        }
    }
}
