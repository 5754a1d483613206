package tern.sender.transport;

import com.google.protobuf.ByteString;
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
import io.grpc.stub.StreamObserver;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMarshaller;
import tern.common.wire.WireMessage;
import tern.common.wire.ZeroCopyParser;
import tern.proto.Cancel;
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
 *
 * <p>Addresses: --to may list several. The channel connects to one at a time, and
 * {@link #reconnect(boolean)} moves on to the next in turn (a receiver restarted elsewhere).
 *
 * <p>Giving up: {@link #abandon} (any thread) makes every later send, take, poll and reconnection
 * fail naming why; {@link #cancel} tells the receiver with a Cancel message. Calls on gRPC's
 * stream observer are serialised ({@code sendLock}), since it takes one caller at a time and a
 * cancel may come from another thread than the engine's.
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
    private final List<InetSocketAddress> addresses;
    private final int maxInboundBytes;
    private final Duration keepalive;
    private final WireMeter meter = new WireMeter();
    private final Object lock = new Object();
    /** Held around every call on {@link #out}: the engine's sends, its finish, a cancel from another thread. */
    private final Object sendLock = new Object();
    private final ArrayDeque<ReceiverMessage> inbox = new ArrayDeque<>();
    private final ChannelCredentials credentials;
    private final boolean plaintext;
    // Guarded by lock:
    private ManagedChannel channel;
    /** The address the channel now connects to: an index into {@link #addresses}. */
    private int current;
    private ClientCallStreamObserver<WireMessage> out;
    private Status failure;
    private boolean receiverDone;
    /** Why the sender gave up ({@link #abandon}); null while it has not. Never reset: giving up is final. */
    private String abandoned;
    private ReceiverMessage taken; // the reply last taken: its buffers are released at the next take
    private Cancelling cancel = Cancelling.NOT_YET;
    /** A cancel on a stream of its own: 1 once the receiver closed it OK, -1 once refused or broken. */
    private int ownStreamClosed;

    /** Whether and how the receiver was told the migration is cancelled. */
    private enum Cancelling { NOT_YET, ON_THE_STREAM, ON_ITS_OWN, NOTHING_TO_TELL }

    private MigrationChannel(List<InetSocketAddress> addresses, int maxInboundBytes, Duration keepalive,
                             ChannelCredentials credentials) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no receiver address");
        }
        this.addresses = List.copyOf(addresses);
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
        return connect(List.of(to), maxInboundBytes, keepalive, credentials);
    }

    /** As above, to the first of {@code addresses}; {@link #reconnect(boolean)} goes on to the others in turn. */
    public static MigrationChannel connect(List<InetSocketAddress> addresses, int maxInboundBytes, Duration keepalive,
                                           ChannelCredentials credentials) {
        return new MigrationChannel(addresses, maxInboundBytes, keepalive, credentials);
    }

    /** The one place the sender's transport is configured. */
    private ManagedChannel build() {
        long keepaliveMs = Math.max(1_000, keepalive.toMillis());
        InetSocketAddress to = addresses.get(current);
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

    /** HOST:PORT the channel now connects to. */
    public String address() {
        synchronized (lock) {
            InetSocketAddress a = addresses.get(current);
            String host = a.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
        }
    }

    /** How many addresses --to gave. */
    public int addressCount() {
        return addresses.size();
    }

    /**
     * Drops the transport and everything queued on it and builds a new one, to the same address
     * or, with {@code next}, to the next one --to listed (after the last, the first again);
     * {@link #open()} then starts a new stream. The wire meter keeps counting across. A fresh
     * channel rather than the old one's own reconnection: the old one would wait out gRPC's
     * reconnect back-off, and the migration has its own (bounded by --resume-timeout).
     */
    public void reconnect(boolean next) throws ChannelException {
        synchronized (lock) {
            failIfAbandoned();
            channel.shutdownNow();
            releaseAll();
            failure = null;
            receiverDone = false;
            out = null;
            if (next) {
                current = (current + 1) % addresses.size();
            }
            channel = build();
        }
    }

    /** As {@link #reconnect(boolean)}, to the same address. */
    public void reconnect() throws ChannelException {
        reconnect(false);
    }

    public WireMeter meter() {
        return meter;
    }

    /** Opens the stream. Replies are then available from {@link #take()}. */
    public void open() throws ChannelException {
        ManagedChannel on;
        synchronized (lock) {
            failIfAbandoned();
            on = channel;
        }
        ClientResponseObserver<WireMessage, ReceiverMessage> in = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WireMessage> requestStream) {
                synchronized (lock) {
                    out = requestStream;
                }
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
        ClientCalls.asyncBidiStreamingCall(on.newCall(migrate, CallOptions.DEFAULT.withStreamTracerFactory(meter)), in);
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
        send(msg, 0);
    }

    /**
     * As {@link #send(SenderMessage)}, waiting at most {@code nanos} (0: no limit) for the transport
     * to be ready: a peer that took the connection but never opens the stream (no HTTP/2 answer)
     * counts as a lost connection, so a resume's deadline holds.
     */
    public void send(SenderMessage msg, long nanos) throws ChannelException, InterruptedException {
        send(new ProtoWire(msg), nanos);
    }

    private void send(WireMessage msg, long nanos) throws ChannelException, InterruptedException {
        ClientCallStreamObserver<WireMessage> stream;
        long deadline = System.nanoTime() + nanos;
        synchronized (lock) {
            while (!out.isReady()) {
                failIfBroken();
                if (nanos == 0) {
                    lock.wait();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ChannelException("receiver " + address() + " did not open the stream within "
                            + nanos / 1_000_000 + " ms", true);
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            failIfBroken();
            stream = out;
        }
        synchronized (sendLock) {
            synchronized (lock) {
                failIfAbandoned(); // a cancel may have closed our side meanwhile
            }
            // onNext serialises the message into the transport's buffers before it returns.
            stream.onNext(msg);
        }
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
                    throw new ChannelException("receiver " + address() + " closed the stream without a verdict");
                }
                if (nanos == 0) {
                    lock.wait();
                    continue;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new ChannelException("no reply from receiver " + address() + " within " + nanos / 1_000_000
                            + " ms", true);
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
            taken = m; // one per batch: read in place, released at the next take
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
        if (taken != null) {
            replies.release(taken);
            taken = null;
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

    /** Half-closes our side after the verdict. Never fails: the verdict is in, whatever the link does now. */
    public void finish() {
        synchronized (sendLock) {
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                // the call already ended: nothing is left to close
            }
        }
    }

    /**
     * Gives up on the migration, from any thread: from now on every send, take and poll fails
     * naming {@code why} (not as resumable), and no reconnection is made. Nothing is sent:
     * {@link #cancel} tells the receiver.
     */
    public void abandon(String why) {
        synchronized (lock) {
            if (abandoned == null) {
                abandoned = why;
            }
            lock.notifyAll();
        }
    }

    /**
     * Gives up (as {@link #abandon}) and tells the receiver: a Cancel naming why (the first reason
     * given, when it was abandoned before) on the open stream, then a half-close; or, when that stream is gone and {@code token} is not empty,
     * a stream of its own whose first message is the Cancel with the token (the receiver holds the
     * migration for a resume meanwhile). Then waits up to {@code confirm} for the receiver to close
     * the stream, its confirmation. Any thread.
     *
     * @return whether the receiver confirmed within {@code confirm}
     */
    public boolean cancel(String why, ByteString token, Duration confirm) throws InterruptedException {
        abandon(why);
        ClientCallStreamObserver<WireMessage> stream = null;
        boolean first;
        String reason;
        synchronized (lock) {
            reason = abandoned; // the first reason given: the engine failing on it must not restate it
            // one Cancel per migration, whoever asks first (a signal's hook, the engine's failure path)
            first = cancel == Cancelling.NOT_YET;
            if (first) {
                cancel = Cancelling.NOTHING_TO_TELL;
                if (failure == null && !receiverDone && out != null) {
                    stream = out;
                    cancel = Cancelling.ON_THE_STREAM;
                }
            }
        }
        Cancel.Builder c = Cancel.newBuilder().setReason(reason);
        if (stream != null) {
            synchronized (sendLock) {
                try {
                    stream.onNext(new ProtoWire(SenderMessage.newBuilder().setCancel(c).build()));
                    stream.onCompleted();
                } catch (RuntimeException e) {
                    stream = null; // the call ended meanwhile
                }
            }
        }
        // A stream of its own only when the receiver may hold the migration: the stream was lost
        // (not refused, nor closed by the receiver, which then ended the migration itself).
        boolean mayBeHeld;
        synchronized (lock) {
            mayBeHeld = !receiverDone && (failure == null || ConnectionFailure.of(failure, address(), plaintext).resumable());
        }
        if (first && stream == null && mayBeHeld && token != null && !token.isEmpty()) {
            synchronized (lock) {
                cancel = Cancelling.ON_ITS_OWN;
            }
            cancelOnItsOwn(c.setResumeToken(token).build());
        }
        long deadline = System.nanoTime() + confirm.toNanos();
        synchronized (lock) {
            while (true) {
                switch (cancel) {
                    case ON_THE_STREAM -> {
                        if (receiverDone || failure != null) {
                            return receiverDone;
                        }
                    }
                    case ON_ITS_OWN -> {
                        if (ownStreamClosed != 0) {
                            return ownStreamClosed > 0;
                        }
                    }
                    default -> {
                        return false;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }

    /** A stream whose only message is {@code c}; {@link #ownStreamClosed} says how it ended. */
    private void cancelOnItsOwn(Cancel c) {
        ManagedChannel on;
        synchronized (lock) {
            on = channel;
        }
        StreamObserver<WireMessage> s = ClientCalls.asyncBidiStreamingCall(on.newCall(migrate, CallOptions.DEFAULT),
                new StreamObserver<ReceiverMessage>() {
                    @Override
                    public void onNext(ReceiverMessage m) {
                        replies.release(m);
                    }

                    @Override
                    public void onError(Throwable t) {
                        synchronized (lock) {
                            ownStreamClosed = -1;
                            lock.notifyAll();
                        }
                    }

                    @Override
                    public void onCompleted() {
                        synchronized (lock) {
                            ownStreamClosed = 1;
                            lock.notifyAll();
                        }
                    }
                });
        s.onNext(new ProtoWire(SenderMessage.newBuilder().setCancel(c).build()));
        s.onCompleted();
    }

    /**
     * The engine's own failure path: gives up and tells the receiver (as {@link #cancel}), which
     * ends the migration rather than holding it for a resume; without waiting for its
     * confirmation ({@link #close} lets the call finish).
     */
    public void abort(String why, ByteString token) {
        try {
            cancel(why, token, Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits {@code millis} unless the sender gives up first: a back-off that a cancel cuts short. */
    public void idle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        synchronized (lock) {
            long left;
            while (abandoned == null && (left = deadline - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
    }

    private void failIfAbandoned() throws ChannelException {
        if (abandoned != null) {
            throw new ChannelException("migration abandoned by the sender: " + abandoned);
        }
    }

    private void failIfBroken() throws ChannelException {
        failIfAbandoned();
        if (failure != null) {
            throw ConnectionFailure.of(failure, address(), plaintext);
        }
    }

    @Override
    public void close() throws InterruptedException {
        ManagedChannel on;
        synchronized (lock) {
            releaseAll();
            on = channel;
        }
        on.shutdown();
        if (!on.awaitTermination(5, TimeUnit.SECONDS)) {
            on.shutdownNow();
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
