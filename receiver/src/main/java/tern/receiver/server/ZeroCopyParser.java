package tern.receiver.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import tern.proto.SenderMessage;

/**
 * Parses the sender's messages without copying their page payloads: the message's bytes stay in
 * the transport's buffers, which this parser detaches from gRPC and keeps until {@link #release}
 * (protobuf's aliasing makes the payload a view of them). gRPC's default parser copies every
 * message into an array and then every payload into another: 4 KB allocated and copied per page.
 */
final class ZeroCopyParser implements MethodDescriptor.Marshaller<SenderMessage> {
    private final MethodDescriptor.Marshaller<SenderMessage> plain = ProtoUtils.marshaller(SenderMessage.getDefaultInstance());
    private final Map<SenderMessage, InputStream> held = Collections.synchronizedMap(new IdentityHashMap<>());
    private final Map<SenderMessage, String> undecodable = Collections.synchronizedMap(new IdentityHashMap<>());

    @Override
    public InputStream stream(SenderMessage value) {
        return plain.stream(value);
    }

    @Override
    public SenderMessage parse(InputStream stream) {
        if (!(stream instanceof Detachable d) || !(stream instanceof HasByteBuffer hb) || !hb.byteBufferSupported()) {
            try {
                return plain.parse(stream);
            } catch (RuntimeException e) {
                return undecodable(e);
            }
        }
        InputStream detached = d.detach();
        try {
            ByteString all = ByteString.EMPTY;
            HasByteBuffer buffers = (HasByteBuffer) detached;
            // Without a mark, the stream releases each buffer as soon as it has been skipped past,
            // and the views collected here would point into recycled memory; marked, they stay the
            // stream's until it is closed (release).
            detached.mark(Integer.MAX_VALUE);
            while (detached.available() > 0) {
                ByteBuffer b = buffers.getByteBuffer();
                all = all.concat(UnsafeByteOperations.unsafeWrap(b));
                for (long left = b.remaining(); left > 0; ) {
                    long n = detached.skip(left);
                    if (n <= 0) {
                        throw new IOException("transport buffer ended " + left + " bytes early");
                    }
                    left -= n;
                }
            }
            CodedInputStream in = all.newCodedInput();
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE); // gRPC has enforced the message limit already
            SenderMessage m = SenderMessage.parseFrom(in);
            held.put(m, detached);
            return m;
        } catch (IOException | RuntimeException e) {
            closeQuietly(detached);
            return undecodable(e);
        }
    }

    /**
     * Bytes that are no SenderMessage. Throwing from a parser escapes gRPC's call handling (the
     * call then never reaches the service, which could not end the migration); instead the
     * service gets a message of its own that {@link #undecodableReason} names, and refuses it
     * like any other bad input (invariant 4).
     */
    private SenderMessage undecodable(Exception e) {
        SenderMessage marker = SenderMessage.newBuilder().build();
        undecodable.put(marker, e.getMessage() == null ? e.toString() : e.getMessage());
        return marker;
    }

    /** Why {@code m} could not be decoded, or null for a real message. */
    String undecodableReason(SenderMessage m) {
        return undecodable.get(m);
    }

    /** Gives the transport's buffers behind {@code m} back; call once the message has been handled. */
    void release(SenderMessage m) {
        undecodable.remove(m);
        InputStream s = held.remove(m);
        if (s != null) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(InputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // releasing a transport buffer does not fail in a way that matters here
        }
    }
}
