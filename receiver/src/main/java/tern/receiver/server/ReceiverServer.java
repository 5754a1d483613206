package tern.receiver.server;

import io.grpc.Codec;
import io.grpc.DecompressorRegistry;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import tern.common.net.SocketErrors;
import tern.proto.MigrationGrpc;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/** A running receiver: a gRPC server bound to an address, writing migrations into one image. */
public final class ReceiverServer implements AutoCloseable {
    /**
     * The transport logs, with a stack trace, every stream it fails (a message over the limit, a
     * malformed frame: NettyServerStream) and every stream error, a reset connection's dead streams
     * among them (NettyServerHandler): a peer could fill the log with them. The receiver says
     * itself, in one line, what it refused and what happened to the migration. Held, so the
     * setting outlives a garbage collection of an unreferenced logger.
     */
    private static final Logger[] QUIET_TRANSPORT_LOGS = {
        Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerStream"),
        Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler"),
    };

    static {
        for (Logger l : QUIET_TRANSPORT_LOGS) {
            l.setLevel(Level.SEVERE);
        }
    }

    private final Server server;
    private final EventLoopGroup[] loops;
    private final BlockingQueue<MigrationOutcome> outcomes = new LinkedBlockingQueue<>();
    private final InboundMeter meter;
    private MigrationService service;
    private StreamGuards guards;

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
        return start(listen, image, config, ServerLimits.defaults(), listener, restored, credentials, refused);
    }

    /**
     * As above, with {@code limits} on connections and stream deadlines; {@code refused} also hears
     * one line per connection or stream refused before it fed a migration.
     */
    public static ReceiverServer start(InetSocketAddress listen, Path image, ReceiverConfig config, ServerLimits limits,
                                       SessionListener listener, MigrationSession restored, ServerCredentials credentials,
                                       Consumer<String> refused) throws IOException {
        ReceiverServer[] self = new ReceiverServer[1];
        MigrationService service = new MigrationService(image, config, listener, o -> self[0].outcomes.add(o), restored,
                limits, refused);
        StreamGuards guards = new StreamGuards(MigrationGrpc.getMigrateMethod().getFullMethodName());
        InboundMeter meter = new InboundMeter();
        // the connection gate needs its own server channel type, and a channel type its own loops
        EventLoopGroup[] loops = {new NioEventLoopGroup(1, new DefaultThreadFactory("tern-accept", true)),
            new NioEventLoopGroup(0, new DefaultThreadFactory("tern-transport", true))};
        boolean tls = credentials instanceof TlsServerCredentials;
        Server server = serverFor(listen, config, limits, credentials)
                .addService(service.definition())
                .addStreamTracerFactory(guards)
                .addStreamTracerFactory(meter)
                .channelFactory(() -> new ConnectionGate(limits.maxConnections(), tls, refused))
                .bossEventLoopGroup(loops[0])
                .workerEventLoopGroup(loops[1])
                .build();
        self[0] = new ReceiverServer(server, meter, loops);
        self[0].service = service;
        self[0].guards = guards;
        try {
            server.start();
        } catch (IOException e) {
            String why = SocketErrors.reason(e);
            throw new IOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort() + ": "
                    + (why != null ? why : e.getMessage()), e);
        }
        return self[0];
    }

    /** The one place the receiver's transport is configured (docs/hostile-input.md says why each limit). */
    private static NettyServerBuilder serverFor(InetSocketAddress listen, ReceiverConfig config, ServerLimits limits,
                                                ServerCredentials credentials) {
        long helloMillis = limits.helloTimeout().toMillis();
        return NettyServerBuilder.forAddress(listen, credentials)
                // checked on each message's length prefix, before its body is read; a stream's first
                // message has a smaller limit of its own (StreamGuard)
                .maxInboundMessageSize(config.maxMessageBytes())
                .maxConcurrentCallsPerConnection(ServerLimits.MAX_CALLS_PER_CONNECTION)
                .maxRstFramesPerWindow(ServerLimits.MAX_RST_FRAMES, ServerLimits.RST_WINDOW_SECONDS)
                // a connection must finish its handshake, and open a stream, as promptly as a stream sends its hello
                .handshakeTimeout(helloMillis, TimeUnit.MILLISECONDS)
                .maxConnectionIdle(helloMillis, TimeUnit.MILLISECONDS)
                // no compression: a small compressed message could expand to --max-message in every stream
                .decompressorRegistry(DecompressorRegistry.emptyInstance().with(Codec.Identity.NONE, false))
                // senders may ping every second (--keepalive) to notice a dark link quickly
                .permitKeepAliveTime(1, TimeUnit.SECONDS);
    }

    /**
     * Waits until every stream this receiver was sent has been closed by its transport and ended by
     * the service, and no migration is held: for tests and fuzzers that must know the receiver is
     * done with what they sent. False when {@code timeout} passed first.
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return guards.awaitIdle(timeout.toMillis(), () -> !service.holds());
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

    /** What the receiver is still busy with, for a test's failure message ({@link #awaitIdle}). */
    public String activity() {
        return guards.activity() + (service.holds() ? ", a migration held" : ", no migration held");
    }

    /** The next outcome if a migration has ended since the last one was taken, else null. */
    public MigrationOutcome pollOutcome() {
        return outcomes.poll();
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
