package tern.sender.transport;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ClientCalls;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
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
 * migration's per-page state, so no page state is ever touched by a gRPC thread. The queue is
 * bounded by the engine's window: the receiver sends one reply per batch and the engine stops
 * sending while a window's worth is unacknowledged.
 */
public final class MigrationChannel implements AutoCloseable {
    private final ZeroCopyParser<ReceiverMessage> replies =
            new ZeroCopyParser<>(ReceiverMessage.getDefaultInstance(), () -> ReceiverMessage.newBuilder().build());
    /**
     * The Migrate method with requests that write themselves (page batches skip protobuf's
     * builders) and replies parsed in place (acknowledged digests are not copied).
     */
    private final MethodDescriptor<WireMessage, ReceiverMessage> migrate = MigrationGrpc.getMigrateMethod()
            .toBuilder(new WireMarshaller(), replies)
            .build();
    private final ManagedChannel channel;
    private final WireMeter meter = new WireMeter();
    private final Object lock = new Object();
    private final ArrayDeque<ReceiverMessage> inbox = new ArrayDeque<>();
    private ClientCallStreamObserver<WireMessage> out;
    private Status failure;
    private boolean receiverDone;
    private ReceiverMessage current; // the reply last taken: its buffers are released at the next take

    private MigrationChannel(ManagedChannel channel) {
        this.channel = channel;
    }

    public static MigrationChannel connect(InetSocketAddress to, int maxInboundBytes) {
        ManagedChannel ch = NettyChannelBuilder.forAddress(to.getHostString(), to.getPort())
                .usePlaintext()
                // Batches wrap the encoder's reusable buffer without copying; retry buffering would
                // keep references to it past onNext, so retries are off (a migration resumes instead).
                .disableRetry()
                .maxInboundMessageSize(maxInboundBytes)
                .keepAliveTime(30, TimeUnit.SECONDS)
                .build();
        return new MigrationChannel(ch);
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
        synchronized (lock) {
            releaseCurrent();
            while (inbox.isEmpty()) {
                failIfBroken();
                if (receiverDone) {
                    throw new ChannelException("receiver closed the stream without a verdict");
                }
                lock.wait();
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
            throw new ChannelException(describe(failure));
        }
    }

    static String describe(Status s) {
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
        synchronized (lock) {
            releaseCurrent();
            for (ReceiverMessage m : inbox) {
                replies.release(m);
            }
            inbox.clear();
        }
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
