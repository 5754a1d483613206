package tern.receiver.server;

import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import tern.common.net.SocketErrors;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/** A running receiver: a gRPC server bound to an address, writing migrations into one image. */
public final class ReceiverServer implements AutoCloseable {
    private final Server server;
    private final EventLoopGroup[] loops;
    private final BlockingQueue<MigrationOutcome> outcomes = new LinkedBlockingQueue<>();
    private final InboundMeter meter;
    private MigrationService service;

    private ReceiverServer(Server server, InboundMeter meter, EventLoopGroup... loops) {
        this.server = server;
        this.meter = meter;
        this.loops = loops;
    }

    /** A plaintext receiver (loopback, or --insecure). */
    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config,
                                       SessionListener listener) throws IOException {
        return start(listen, image, config, listener, null, InsecureServerCredentials.create(), refused -> { });
    }

    /** A plaintext receiver holding {@code restored} (see below). */
    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config,
                                       SessionListener listener, MigrationSession restored) throws IOException {
        return start(listen, image, config, listener, restored, InsecureServerCredentials.create(), refused -> { });
    }

    /** A new receiver with {@code credentials} (see below). */
    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config,
                                       SessionListener listener, ServerCredentials credentials,
                                       Consumer<String> refused) throws IOException {
        return start(listen, image, config, listener, null, credentials, refused);
    }

    /**
     * A receiver with {@code credentials}: plaintext or mutual TLS ({@code tern.common.tls.TlsFiles}).
     * With TLS, {@code refused} hears one line per client whose handshake failed, naming its address.
     *
     * @param restored a migration a restarted receiver found next to its image, held for its sender's resume; or null
     */
    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config,
                                       SessionListener listener, MigrationSession restored, ServerCredentials credentials,
                                       Consumer<String> refused) throws IOException {
        ReceiverServer[] self = new ReceiverServer[1];
        MigrationService service = new MigrationService(image, config, listener, o -> self[0].outcomes.add(o), restored);
        InboundMeter meter = new InboundMeter();
        NettyServerBuilder b = serverFor(listen, config, credentials)
                .addStreamTracerFactory(meter)
                .addService(service.definition());
        EventLoopGroup[] loops = {};
        if (credentials instanceof TlsServerCredentials) {
            // the handshake watcher needs its own server channel type, and a channel type its own loops
            loops = new EventLoopGroup[] {new NioEventLoopGroup(1), new NioEventLoopGroup()};
            b.channelFactory(() -> new HandshakeWatch(refused)).bossEventLoopGroup(loops[0]).workerEventLoopGroup(loops[1]);
        }
        Server server = b.build();
        self[0] = new ReceiverServer(server, meter, loops);
        self[0].service = service;
        try {
            server.start();
        } catch (IOException e) {
            String why = SocketErrors.reason(e);
            throw new IOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort() + ": "
                    + (why != null ? why : e.getMessage()), e);
        }
        return self[0];
    }

    /** The one place the receiver's transport is configured. */
    private static NettyServerBuilder serverFor(InetSocketAddress listen, ReceiverConfig config, ServerCredentials credentials) {
        return NettyServerBuilder.forAddress(listen, credentials)
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

    /** Bytes read from senders so far, on every stream ({@link InboundMeter}); any thread. */
    public long bytesReceived() {
        return meter.inbound();
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
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : loops) {
            g.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        }
    }
}
