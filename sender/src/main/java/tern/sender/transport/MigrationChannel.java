package tern.sender.transport;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import tern.common.tls.TlsFailures;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMarshaller;
import tern.common.wire.WireMessage;
import tern.common.wire.ZeroCopyParser;
import tern.proto.MigrationGrpc;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;

/**
 * One migration stream to a receiver. Sends block until gRPC's transport is ready (outbound
 * back-pressure); replies queue here and are taken by the engine's thread, which alone owns the
 * migration's per-page state, so no page state is ever touched by a gRPC thread.
 *
 * <p>What the queue holds: while batches flow, at most the engine's window of acknowledgements
 * (the receiver sends one reply per batch, and the engine stops sending while a window's worth is
 * unacknowledged). After a resuming Accept, the receiver's whole digest table (pages × digest
 * length, in chunks of at most 1 MiB) may queue before the engine reads it: the receiver sends it
 * as fast as this transport takes it and gRPC requests inbound messages here on its own. That is
 * as much again as the engine's own table of the digests it sent, and is given back chunk by chunk
 * as the engine reads it.
 */
public final class MigrationChannel implements AutoCloseable {
    public static final Duration DEFAULT_KEEPALIVE = Duration.ofSeconds(30);

    private final ZeroCopyParser<ReceiverMessage> replies =
            new ZeroCopyParser<>(ReceiverMessage.getDefaultInstance(), () -> ReceiverMessage.newBuilder().build());
    /**
     * The Migrate method with requests that write themselves (page batches skip protobuf's
     * builders) and replies parsed in place (acknowledged digests are not copied).
     */
    private final MethodDescriptor<WireMessage, ReceiverMessage> migrate = MigrationGrpc.getMigrateMethod()
            .toBuilder(new WireMarshaller(), replies)
            .build();
    private final InetSocketAddress to;
    private final int maxInboundBytes;
    private final Duration keepalive;
    private ManagedChannel channel;
    private final WireMeter meter = new WireMeter();
    private final Object lock = new Object();
    private final ArrayDeque<ReceiverMessage> inbox = new ArrayDeque<>();
    private ClientCallStreamObserver<WireMessage> out;
    private Status failure;
    private boolean receiverDone;
    /** Why the sender gave up ({@link #abort}); null while it has not. */
    private String abandoned;
    private ReceiverMessage current; // the reply last taken: its buffers are released at the next take
    private final ChannelCredentials credentials;
    private final boolean plaintext;

    private MigrationChannel(InetSocketAddress to, int maxInboundBytes, Duration keepalive, ChannelCredentials credentials) {
        this.to = to;
        this.maxInboundBytes = maxInboundBytes;
        this.keepalive = keepalive;
        this.credentials = credentials;
        this.plaintext = credentials instanceof InsecureChannelCredentials;
        this.channel = build();
    }

    /** A plaintext channel (loopback, or --insecure). */
    public static MigrationChannel connect(InetSocketAddress to, int maxInboundBytes) {
        return connect(to, maxInboundBytes, DEFAULT_KEEPALIVE, InsecureChannelCredentials.create());
    }

    /** A channel with {@code credentials}: plaintext or mutual TLS ({@code tern.common.tls.TlsFiles}). */
    public static MigrationChannel connect(InetSocketAddress to, int maxInboundBytes, ChannelCredentials credentials) {
        return connect(to, maxInboundBytes, DEFAULT_KEEPALIVE, credentials);
    }

    /**
     * @param keepalive ping interval and ping timeout: a link that went dark (no reset) is noticed
     *                  after about twice this, and the migration resumes
     * @param credentials plaintext or mutual TLS ({@code tern.common.tls.TlsFiles}); a reconnection uses them too
     */
    public static MigrationChannel connect(InetSocketAddress to, int maxInboundBytes, Duration keepalive,
                                           ChannelCredentials credentials) {
        return new MigrationChannel(to, maxInboundBytes, keepalive, credentials);
    }

    /** The one place the sender's transport is configured. */
    private ManagedChannel build() {
        long keepaliveMs = Math.max(1_000, keepalive.toMillis());
        return NettyChannelBuilder.forAddress(to.getHostString(), to.getPort(), credentials)
                // Batches wrap the encoder's reusable buffer without copying; retry buffering would
                // keep references to it past onNext, so retries are off (a migration resumes instead).
                .disableRetry()
                .maxInboundMessageSize(maxInboundBytes)
                .keepAliveTime(keepaliveMs, TimeUnit.MILLISECONDS)
                .keepAliveTimeout(keepaliveMs, TimeUnit.MILLISECONDS)
                // a SYN into a dark link would otherwise wait for the kernel's retries (minutes)
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, keepaliveMs))
                .build();
    }

    /**
     * Drops the transport and everything queued on it and builds a new one; {@link #open()} then
     * starts a new stream. The wire meter keeps counting across. A fresh channel rather than the
     * old one's own reconnection: the old one would wait out gRPC's reconnect back-off, and the
     * migration has its own (bounded by --resume-timeout).
     */
    public void reconnect() {
        channel.shutdownNow();
        synchronized (lock) {
            releaseAll();
            failure = null;
            abandoned = null;
            receiverDone = false;
            out = null;
        }
        channel = build();
    }

    public WireMeter meter() {
        return meter;
    }

    /** Opens the stream. Replies are then available from {@link #take()}. */
    public void open() {
        ClientResponseObserver<WireMessage, ReceiverMessage> in = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WireMessage> requestStream) {
                out = requestStream;
                // Runs on a gRPC thread when the transport can take more; it only wakes the engine.
                requestStream.setOnReadyHandler(() -> {
                    synchronized (lock) {
                        lock.notifyAll();
                    }
                });
            }

            @Override
            public void onNext(ReceiverMessage msg) {
                String undecodable = replies.undecodableReason(msg);
                synchronized (lock) {
                    if (undecodable != null) {
                        replies.release(msg);
                        failure = Status.INTERNAL.withDescription("receiver sent an undecodable message: " + undecodable);
                    } else {
                        inbox.add(msg);
                    }
                    lock.notifyAll();
                }
            }

            @Override
            public void onError(Throwable t) {
                synchronized (lock) {
                    failure = Status.fromThrowable(t);
                    lock.notifyAll();
                }
            }

            @Override
            public void onCompleted() {
                synchronized (lock) {
                    receiverDone = true;
                    lock.notifyAll();
                }
            }
        };
        ClientCalls.asyncBidiStreamingCall(
                channel.newCall(migrate, CallOptions.DEFAULT.withStreamTracerFactory(meter)), in);
    }

    /** Sends one message, waiting first until the transport is ready for it. */
    public void send(SenderMessage msg) throws ChannelException, InterruptedException {
        send(new ProtoWire(msg));
    }

    /**
     * Sends one message that writes itself, waiting first until the transport is ready for it.
     * The message has been written into the transport's buffers when this returns.
     */
    public void send(WireMessage msg) throws ChannelException, InterruptedException {
        synchronized (lock) {
            while (!out.isReady()) {
                failIfBroken();
                lock.wait();
            }
            failIfBroken();
        }
        // onNext serialises the message into the transport's buffers before it returns.
        out.onNext(msg);
    }

    /**
     * The next reply, waiting for it. An acknowledgement is a view of the transport's buffers,
     * valid until the next {@code take} or {@code poll} (which give them back); any other reply is
     * the caller's to keep.
     */
    public ReceiverMessage take() throws ChannelException, InterruptedException {
        return take(0);
    }

    /**
     * As {@link #take()}, waiting at most {@code nanos} (0: no limit); a silent receiver counts as
     * a lost connection.
     */
    public ReceiverMessage take(long nanos) throws ChannelException, InterruptedException {
        long deadline = System.nanoTime() + nanos;
        synchronized (lock) {
            releaseCurrent();
            while (inbox.isEmpty()) {
                failIfBroken();
                if (receiverDone) {
                    throw new ChannelException("receiver closed the stream without a verdict");
                }
                if (nanos == 0) {
                    lock.wait();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ChannelException("no reply from the receiver within " + nanos / 1_000_000 + " ms", true);
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return next();
        }
    }

    /** The next reply if one has arrived, else null; valid as {@link #take}'s. */
    public ReceiverMessage poll() throws ChannelException {
        synchronized (lock) {
            releaseCurrent();
            if (inbox.isEmpty()) {
                failIfBroken();
                return null;
            }
            return next();
        }
    }

    private ReceiverMessage next() throws ChannelException {
        ReceiverMessage m = inbox.poll();
        if (m.hasAck()) {
            current = m; // one per batch: read in place, released at the next take
            return m;
        }
        // Rare replies (accept, resync, verdict) are copied out so callers may keep their bytes.
        try {
            return ReceiverMessage.parseFrom(m.toByteString());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new ChannelException("receiver's " + m.getKindCase() + " could not be copied: " + e.getMessage());
        } finally {
            replies.release(m);
        }
    }

    private void releaseCurrent() {
        if (current != null) {
            replies.release(current);
            current = null;
        }
    }

    /** Gives back every reply's buffers: the one taken and those still queued. */
    private void releaseAll() {
        releaseCurrent();
        for (ReceiverMessage m : inbox) {
            replies.release(m);
        }
        inbox.clear();
    }

    /** Half-closes our side after the verdict. */
    public void finish() {
        out.onCompleted();
    }

    /**
     * Gives up on the migration: a half-close before completion, which the receiver reads as "the
     * sender gave up" and ends the migration, where a cancelled or broken stream would be held for
     * a resume. The half-close carries no reason, so {@code why} stays here: a later send, or a
     * take or poll that finds no reply queued, fails naming it (not as resumable), rather than with
     * the receiver's answer to the half-close.
     */
    public void abort(String why) {
        synchronized (lock) {
            abandoned = why;
            lock.notifyAll();
        }
        if (out != null) {
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                // the call already ended: the receiver has seen the stream go
            }
        }
    }

    private void failIfBroken() throws ChannelException {
        if (abandoned != null) {
            throw new ChannelException("migration abandoned by the sender: " + abandoned);
        }
        if (failure != null) {
            // a TLS receiver closes a plaintext connection without a word the client could show
            boolean mayWantTls = plaintext && failure.getCode() == Status.Code.UNAVAILABLE
                    && String.valueOf(failure.getDescription()).startsWith("Network closed");
            throw new ChannelException(describe(failure) + (mayWantTls
                    ? " (if the receiver runs with --tls-cert/--tls-key/--tls-ca, give this sender its own)" : ""),
                    resumable(failure));
        }
    }

    /**
     * The connection failed, not the receiver's judgement: a reset, a keepalive timeout, a refused
     * connect. A failed TLS handshake is a judgement (a certificate refused): retrying cannot help.
     */
    private static boolean resumable(Status s) {
        if (TlsFailures.describe(s.getCause()) != null) {
            return false;
        }
        return switch (s.getCode()) {
            case UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, UNKNOWN -> true;
            default -> false;
        };
    }

    static String describe(Status s) {
        String tls = TlsFailures.describe(s.getCause());
        if (tls != null) {
            return tls;
        }
        String what = switch (s.getCode()) {
            case UNAVAILABLE -> "receiver unreachable or connection lost";
            case INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED -> "receiver refused";
            default -> "stream failed";
        };
        return what + ": " + s.getCode() + (s.getDescription() != null ? ": " + s.getDescription() : "")
                + (s.getCause() != null && s.getDescription() == null ? ": " + s.getCause().getMessage() : "");
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (lock) {
            releaseAll();
        }
        channel.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
        }
    }

    /** The stream failed or the receiver refused; the message says which and why. */
    public static final class ChannelException extends Exception {
        private final boolean resumable;

        public ChannelException(String message) {
            this(message, false);
        }

        public ChannelException(String message, boolean resumable) {
            super(message);
            this.resumable = resumable;
        }

        /** The connection was lost (not a refusal): a migration with a resume token may reconnect. */
        public boolean resumable() {
            return resumable;
        }
    }
}
