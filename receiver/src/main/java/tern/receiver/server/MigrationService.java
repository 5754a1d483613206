package tern.receiver.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import tern.proto.MigrationGrpc;
import tern.common.wire.WireMarshaller;
import tern.common.wire.ZeroCopyParser;
import tern.common.wire.WireMessage;
import tern.proto.SenderMessage;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ProtocolException;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * The gRPC face of the receiver: one stream, one {@link MigrationSession}, one migration at a time
 * (the image is a single file). Inbound flow control is manual, after grpc-java's
 * ManualFlowControlServer: the next message is requested only once the previous one has been
 * stored and acknowledged and the outbound side is ready, so a sender that stops reading acks
 * stops being read, and buffered input stays bounded by one message plus HTTP/2's window. Both
 * directions skip protobuf's generic paths: inbound messages are parsed in place
 * ({@link ZeroCopyParser}), acknowledgements write themselves ({@link tern.common.wire.WireMessage}).
 */
final class MigrationService {
    private final Path imagePath;
    private final ReceiverConfig config;
    private final SessionListener listener;
    private final Consumer<MigrationOutcome> onOutcome;
    private final AtomicReference<MigrationSession> active = new AtomicReference<>();
    private final ZeroCopyParser<SenderMessage> parser =
            new ZeroCopyParser<>(SenderMessage.getDefaultInstance(), () -> SenderMessage.newBuilder().build());

    MigrationService(Path imagePath, ReceiverConfig config, SessionListener listener, Consumer<MigrationOutcome> onOutcome) {
        this.imagePath = imagePath;
        this.config = config;
        this.listener = listener;
        this.onOutcome = onOutcome;
    }

    /** The service with the sender's messages parsed in place ({@link ZeroCopyParser}). */
    ServerServiceDefinition definition() {
        MethodDescriptor<SenderMessage, WireMessage> method = MigrationGrpc.getMigrateMethod()
                .toBuilder(parser, new WireMarshaller()).build();
        return ServerServiceDefinition.builder(MigrationGrpc.SERVICE_NAME)
                .addMethod(method, ServerCalls.asyncBidiStreamingCall(this::migrate))
                .build();
    }

    StreamObserver<SenderMessage> migrate(StreamObserver<WireMessage> responses) {
        ServerCallStreamObserver<WireMessage> out = (ServerCallStreamObserver<WireMessage>) responses;
        MigrationSession session = new MigrationSession(imagePath, config, listener);
        if (!active.compareAndSet(null, session)) {
            out.onError(Status.FAILED_PRECONDITION
                    .withDescription("a migration is already in progress on this receiver").asRuntimeException());
            return new Ignoring();
        }
        out.disableAutoRequest();
        Stream stream = new Stream(session, out);
        // onReady runs serialised with onNext; it must only request, never block.
        out.setOnReadyHandler(stream::onReady);
        out.setOnCancelHandler(() -> stream.end(MigrationOutcome.failed("sender cancelled the stream", session)));
        out.request(1);
        return stream;
    }

    private final class Stream implements StreamObserver<SenderMessage> {
        private final MigrationSession session;
        private final ServerCallStreamObserver<WireMessage> out;
        // Guards against requesting twice: set when a message was handled while outbound was not ready.
        private boolean wantMore;
        private boolean ended;

        Stream(MigrationSession session, ServerCallStreamObserver<WireMessage> out) {
            this.session = session;
            this.out = out;
        }

        void onReady() {
            synchronized (this) {
                if (wantMore && !ended) {
                    wantMore = false;
                    out.request(1);
                }
            }
        }

        @Override
        public void onNext(SenderMessage msg) {
            try {
                handle(msg);
            } finally {
                // the page bytes have been written (or refused): the transport may have its buffers back
                parser.release(msg);
            }
        }

        private void handle(SenderMessage msg) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                WireMessage reply;
                try {
                    String undecodable = parser.undecodableReason(msg);
                    if (undecodable != null) {
                        throw ProtocolException.invalid("message: undecodable protobuf: " + undecodable);
                    }
                    reply = session.handle(msg);
                } catch (ProtocolException e) {
                    // end first: a sender that reconnects on seeing the error must find the receiver free
                    end(MigrationOutcome.failed(e.getMessage(), session));
                    out.onError(e.toStatus().asRuntimeException());
                    return;
                } catch (RuntimeException e) {
                    // A bug here must end this migration, not the process (invariant 4).
                    end(MigrationOutcome.failed("receiver error: " + e, session));
                    out.onError(Status.INTERNAL.withDescription("receiver error: " + e).asRuntimeException());
                    return;
                }
                if (reply != null) {
                    out.onNext(reply);
                }
                if (session.done()) {
                    end(session.verdict().getOk() ? MigrationOutcome.verified(session)
                            : MigrationOutcome.failed(session.verdict().getReason(), session));
                    out.onCompleted();
                    return;
                }
                if (out.isReady()) {
                    out.request(1);
                } else {
                    wantMore = true;
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            end(MigrationOutcome.failed("sender stream failed: " + Status.fromThrowable(t), session));
        }

        @Override
        public void onCompleted() {
            synchronized (this) {
                if (!ended) {
                    end(MigrationOutcome.failed("sender closed the stream before completion", session));
                    out.onError(Status.INVALID_ARGUMENT
                            .withDescription("stream: closed by the sender before completion").asRuntimeException());
                }
            }
        }

        synchronized void end(MigrationOutcome outcome) {
            if (ended) {
                return;
            }
            ended = true;
            session.close();
            active.compareAndSet(session, null);
            onOutcome.accept(outcome);
        }
    }

    private final class Ignoring implements StreamObserver<SenderMessage> {
        @Override
        public void onNext(SenderMessage value) {
            parser.release(value);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}
