package tern.sender.transport;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ClientCalls;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import tern.common.tls.TlsFailures;
import tern.proto.MigrationGrpc;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;

/**
 * One migration stream to a receiver. Sends block until gRPC's transport is ready (outbound
 * back-pressure); replies queue here and are taken by the engine's thread, which alone owns the
 * migration's per-page state, so no page state is ever touched by a gRPC thread. The queue is
 * bounded by the engine's window: the receiver sends one reply per batch and the engine stops
 * sending while a window's worth is unacknowledged.
 */
public final class MigrationChannel implements AutoCloseable {
    private final ManagedChannel channel;
    private final WireMeter meter = new WireMeter();
    private final Object lock = new Object();
    private final ArrayDeque<ReceiverMessage> inbox = new ArrayDeque<>();
    private ClientCallStreamObserver<SenderMessage> out;
    private Status failure;
    private boolean receiverDone;
    private final boolean plaintext;

    private MigrationChannel(ManagedChannel channel, boolean plaintext) {
        this.channel = channel;
        this.plaintext = plaintext;
    }

    /** A plaintext channel (loopback, or --insecure). */
    public static MigrationChannel connect(InetSocketAddress to, int maxInboundBytes) {
        return connect(to, maxInboundBytes, InsecureChannelCredentials.create());
    }

    /** A channel with {@code credentials}: plaintext or mutual TLS ({@code tern.common.tls.TlsFiles}). */
    public static MigrationChannel connect(InetSocketAddress to, int maxInboundBytes, ChannelCredentials credentials) {
        ManagedChannel ch = NettyChannelBuilder.forAddress(to.getHostString(), to.getPort(), credentials)
                // Batches wrap the encoder's reusable buffer without copying; retry buffering would
                // keep references to it past onNext, so retries are off (a migration resumes instead).
                .disableRetry()
                .maxInboundMessageSize(maxInboundBytes)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build();
        return new MigrationChannel(ch, credentials instanceof InsecureChannelCredentials);
    }

    public WireMeter meter() {
        return meter;
    }

    /** Opens the stream. Replies are then available from {@link #take()}. */
    public void open() {
        ClientResponseObserver<SenderMessage, ReceiverMessage> in = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<SenderMessage> requestStream) {
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
                synchronized (lock) {
                    inbox.add(msg);
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
                channel.newCall(MigrationGrpc.getMigrateMethod(), CallOptions.DEFAULT.withStreamTracerFactory(meter)), in);
    }

    /** Sends one message, waiting first until the transport is ready for it. */
    public void send(SenderMessage msg) throws ChannelException, InterruptedException {
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

    /** The next reply, waiting for it. */
    public ReceiverMessage take() throws ChannelException, InterruptedException {
        synchronized (lock) {
            while (inbox.isEmpty()) {
                failIfBroken();
                if (receiverDone) {
                    throw new ChannelException("receiver closed the stream without a verdict");
                }
                lock.wait();
            }
            return inbox.poll();
        }
    }

    /** The next reply if one has arrived, else null. */
    public ReceiverMessage poll() throws ChannelException {
        synchronized (lock) {
            ReceiverMessage m = inbox.poll();
            if (m == null) {
                failIfBroken();
            }
            return m;
        }
    }

    /** Half-closes our side after the verdict. */
    public void finish() {
        out.onCompleted();
    }

    /** Ends the stream with an error the receiver will see as a cancellation. */
    public void abort(String why) {
        if (out != null) {
            out.onError(Status.CANCELLED.withDescription(why).asRuntimeException());
        }
    }

    private void failIfBroken() throws ChannelException {
        if (failure != null) {
            // a TLS receiver closes a plaintext connection without a word the client could show
            boolean mayWantTls = plaintext && failure.getCode() == Status.Code.UNAVAILABLE
                    && String.valueOf(failure.getDescription()).startsWith("Network closed");
            throw new ChannelException(describe(failure) + (mayWantTls
                    ? " (if the receiver runs with --tls-cert/--tls-key/--tls-ca, give this sender its own)" : ""));
        }
    }

    static String describe(Status s) {
        String tls = TlsFailures.describe(s.getCause());
        if (tls != null) {
            return tls;
        }
        String what = switch (s.getCode()) {
            case UNAVAILABLE -> "receiver unreachable or connection lost";
            case INVALID_ARGUMENT, FAILED_PRECONDITION -> "receiver refused";
            default -> "stream failed";
        };
        return what + ": " + s.getCode() + (s.getDescription() != null ? ": " + s.getDescription() : "")
                + (s.getCause() != null && s.getDescription() == null ? ": " + s.getCause().getMessage() : "");
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
        }
    }

    /** The stream failed or the receiver refused; the message says which and why. */
    public static final class ChannelException extends Exception {
        public ChannelException(String message) {
            super(message);
        }
    }
}
