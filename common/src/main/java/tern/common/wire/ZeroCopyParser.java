package tern.common.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
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
import java.util.function.Supplier;

/**
 * Parses messages without copying their bytes fields: the message's bytes stay in the transport's
 * buffers, which this parser detaches from gRPC and keeps until {@link #release} (protobuf's
 * aliasing makes the payload a view of them). gRPC's default parser copies every message into an
 * array and then every bytes field into another: on the receiver, 4 KB allocated and copied per
 * page; on the sender, every acknowledged digest. Inbound only: it never serialises.
 */
public final class ZeroCopyParser<T extends Message> implements MethodDescriptor.Marshaller<T> {
    private final MethodDescriptor.Marshaller<T> plain;
    private final Parser<T> parser;
    private final Supplier<T> marker;
    private final Map<T, InputStream> held = Collections.synchronizedMap(new IdentityHashMap<>());
    private final Map<T, String> undecodable = Collections.synchronizedMap(new IdentityHashMap<>());

    /**
     * @param prototype the message type's default instance
     * @param marker makes a new, distinct instance to stand for bytes that are no such message
     */
    @SuppressWarnings("unchecked")
    public ZeroCopyParser(T prototype, Supplier<T> marker) {
        this.plain = ProtoUtils.marshaller(prototype);
        this.parser = (Parser<T>) prototype.getParserForType();
        this.marker = marker;
    }

    @Override
    public InputStream stream(T value) {
        return plain.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
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
                if (!b.hasRemaining()) {
                    // an empty transport buffer (an empty DATA frame inside the message) heads the
                    // stream: a view cannot step past it, and looping on it would spin for ever;
                    // the rest is copied instead (rare: senders do not split messages that way)
                    all = all.concat(ByteString.readFrom(detached));
                    break;
                }
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
            T m = parser.parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
            // a stray end-group tag ends the parse as if the message ended there: what follows it
            // would be dropped unread, so the bytes are no message (protobuf's parseFrom(bytes) and
            // gRPC's own marshaller refuse them the same way)
            in.checkLastTagWas(0);
            held.put(m, detached);
            return m;
        } catch (IOException | RuntimeException e) {
            closeQuietly(detached);
            return undecodable(e);
        }
    }

    /**
     * Bytes that are no such message. Throwing from a parser escapes gRPC's call handling (the
     * call then never reaches the service, which could not end the migration); instead the
     * handler gets a message of its own that {@link #undecodableReason} names, and refuses it
     * like any other bad input (invariant 4).
     */
    private T undecodable(Exception e) {
        T m = marker.get();
        undecodable.put(m, e.getMessage() == null ? e.toString() : e.getMessage());
        return m;
    }

    /** Why {@code m} could not be decoded, or null for a real message. */
    public String undecodableReason(T m) {
        return undecodable.get(m);
    }

    /** Gives the transport's buffers behind {@code m} back; call once the message has been handled. */
    public void release(T m) {
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
