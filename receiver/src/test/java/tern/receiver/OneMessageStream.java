package tern.receiver;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import tern.proto.MigrationGrpc;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;

/**
 * A Migrate stream that sends one message, ignores any reply and returns how the stream ended:
 * for input the receiver must refuse on a channel the test built itself (TLS, or bytes that are
 * no protobuf). Published in the receiver's test-jar for the integration tests.
 */
public final class OneMessageStream {
    /** Bytes as they are: the receiver, not this side, finds out whether they decode. */
    private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    /** The receiver's Migrate method below any protobuf marshalling (BadStreamTest's raw calls too). */
    static final MethodDescriptor<byte[], byte[]> RAW_MIGRATE = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(MigrationGrpc.getMigrateMethod().getFullMethodName())
            .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();

    private OneMessageStream() {
    }

    /** Sends {@code message} as the stream's first message; the stream's final status. */
    public static Status send(Channel channel, SenderMessage message, long timeoutSeconds) throws Exception {
        Ending<ReceiverMessage> end = new Ending<>();
        MigrationGrpc.newStub(channel).migrate(end).onNext(message);
        return end.await(timeoutSeconds);
    }

    /** Sends {@code bytes} undecoded as the stream's first message; the stream's final status. */
    public static Status sendBytes(Channel channel, byte[] bytes, long timeoutSeconds) throws Exception {
        Ending<byte[]> end = new Ending<>();
        ClientCalls.asyncBidiStreamingCall(channel.newCall(RAW_MIGRATE, CallOptions.DEFAULT), end).onNext(bytes);
        return end.await(timeoutSeconds);
    }

    /** The stream's end as a status: OK if the receiver completed it. */
    private static final class Ending<T> implements StreamObserver<T> {
        private final CompletableFuture<Status> status = new CompletableFuture<>();

        @Override
        public void onNext(T reply) {
        }

        @Override
        public void onError(Throwable t) {
            status.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            status.complete(Status.OK);
        }

        Status await(long timeoutSeconds) throws Exception {
            return status.get(timeoutSeconds, TimeUnit.SECONDS);
        }
    }
}
