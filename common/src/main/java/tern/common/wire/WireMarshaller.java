package tern.common.wire;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Outbound-only marshaller for {@link WireMessage}s. gRPC's framer asks a {@link KnownLength}
 * stream for its size and lets a {@link Drainable} one write itself into the frame, so the
 * message goes straight into the transport's buffers with no intermediate array.
 */
public final class WireMarshaller implements MethodDescriptor.Marshaller<WireMessage> {
    @Override
    public InputStream stream(WireMessage value) {
        return new Stream(value);
    }

    @Override
    public WireMessage parse(InputStream stream) {
        throw new UnsupportedOperationException("outbound only: this side never receives these messages");
    }

    /** Drained once by the framer; read() exists only for callers that do not drain. */
    private static final class Stream extends InputStream implements Drainable, KnownLength {
        private final WireMessage message;
        private InputStream fallback;
        private boolean drained;

        Stream(WireMessage message) {
            this.message = message;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            if (drained || fallback != null) {
                throw new IllegalStateException("message already read");
            }
            drained = true;
            int size = message.serializedSize();
            message.writeTo(target);
            return size;
        }

        @Override
        public int available() throws IOException {
            if (fallback != null) {
                return fallback.available();
            }
            return drained ? 0 : message.serializedSize();
        }

        @Override
        public int read() throws IOException {
            return fallback().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return fallback().read(b, off, len);
        }

        private InputStream fallback() throws IOException {
            if (fallback == null) {
                if (drained) {
                    throw new IllegalStateException("message already drained");
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(message.serializedSize());
                message.writeTo(bytes);
                drained = true;
                fallback = new ByteArrayInputStream(bytes.toByteArray());
            }
            return fallback;
        }
    }
}
