package tern.receiver.server;

import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tern.common.units.ByteSize;

/**
 * The transport's side of one inbound stream, as a gRPC stream tracer: it sees a message's bytes
 * as they arrive, before gRPC has buffered the message whole, and the status the transport ends a
 * stream with, which the service otherwise sees only as a cancel.
 *
 * <p>Before the stream's hello is accepted its message may be at most {@link
 * ServerLimits#FIRST_MESSAGE_BYTES}: a stream that sends a 4 MiB length prefix and then bytes is
 * refused after 64 KiB, so a peer cannot make the receiver buffer --max-message per stream it
 * opens without a hello (gRPC's server has no per-call inbound limit; the transport's own,
 * --max-message, refuses larger length prefixes before any body is read). Once the hello is
 * accepted, --max-message applies alone.
 *
 * <p>A refusal, the guard's or the transport's (a length prefix over --max-message, a malformed or
 * compressed frame, an end of stream mid-message), is handed to the service's stream first, on
 * the transport thread, so that it closes the call with that status before the transport resets
 * the stream (after the response headers went out, the transport itself would send only a
 * RST_STREAM: CANCELLED, no reason), and so that the migration ends for good rather than being
 * held as if the link had dropped.
 */
final class StreamGuard extends ServerStreamTracer {
    static final Context.Key<StreamGuard> KEY = Context.key("tern-stream-guard");
    private static final Pattern TRANSPORT_SIZE = Pattern.compile("maximum size (\\d+): (-?\\d+)");

    /** The service's stream this guard serves. */
    interface Served {
        /** On a transport thread: the transport refuses the stream's input; end the call with {@code status} now. */
        void refusedByTransport(Status status);
    }

    private final StreamGuards guards;
    /** A Migrate stream gRPC will start a call for: the service attaches to it. */
    final boolean migrate;
    private volatile int limit = ServerLimits.FIRST_MESSAGE_BYTES;
    private volatile Served served;
    private volatile String peer = "unknown peer";
    private volatile Status refusal;
    // transport thread only
    private int message;
    private long received;

    StreamGuard(StreamGuards guards, boolean migrate) {
        this.guards = guards;
        this.migrate = migrate;
    }

    /** Puts the guard where the service's handler finds it ({@link #KEY}). */
    @Override
    public Context filterContext(Context context) {
        return context.withValue(KEY, this);
    }

    @Override
    public void serverCallStarted(ServerCallInfo<?, ?> info) {
        SocketAddress a = info.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (a != null) {
            peer = a.toString();
        }
    }

    String peer() {
        return peer;
    }

    /** The service's stream takes the guard's refusals; the guard counts it live until {@link #serviceDone}. */
    void attach(Served s) {
        served = s;
    }

    /** The service's stream has ended and finished with its migration: called once, after {@link #attach}. */
    void serviceDone() {
        guards.serviceDone();
    }

    /** The hello was accepted: from the next message on, --max-message (the transport's) is the limit. */
    void helloAccepted() {
        limit = Integer.MAX_VALUE;
    }

    /** Why the transport refused the stream's input, or null. */
    Status refusal() {
        return refusal;
    }

    @Override
    public void inboundMessage(int seqNo) {
        message = seqNo + 1;
        received = 0;
    }

    /** Called as a message's body arrives, in pieces, once its length prefix passed --max-message. */
    @Override
    public void inboundWireSize(long bytes) {
        received += bytes;
        if (received > limit) {
            Status s = Status.RESOURCE_EXHAUSTED.withDescription("message " + message + ": more than "
                    + ByteSize.format(limit) + " before a hello was accepted; a stream's first message may be at most "
                    + ByteSize.format(limit) + " (a hello is well under 1 KiB)");
            refuse(s);
            // stops the transport reading this message: it resets the stream (after the trailers above)
            // and frees what it buffered
            throw s.asRuntimeException();
        }
    }

    @Override
    public void streamClosed(Status status) {
        if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED || status.getCode() == Status.Code.INTERNAL
                || status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null && status.getCause() != null) {
            // the deframer's refusals, UNKNOWN when its own reading failed (the service fuzzer found
            // gRPC's buffers throwing on two empty DATA frames inside a length prefix); a peer's
            // reset is CANCELLED and a lost connection UNAVAILABLE
            refuse(transportRefusal(status));
        }
        guards.transportClosed();
    }

    private void refuse(Status s) {
        if (refusal != null) {
            return;
        }
        refusal = s;
        Served t = served;
        if (t != null) {
            t.refusedByTransport(s);
        }
    }

    /** The deframer's status, reworded to name the message, its size and the option that limits it. */
    private Status transportRefusal(Status s) {
        String d = String.valueOf(s.getDescription());
        Matcher m = TRANSPORT_SIZE.matcher(d);
        if (s.getCode() == Status.Code.RESOURCE_EXHAUSTED && m.find()) {
            long max = Long.parseLong(m.group(1));
            long size = Long.parseLong(m.group(2));
            String bytes = size < 0 ? Integer.toUnsignedString((int) size) : Long.toString(size);
            // refused from its length prefix, before it counted as a message
            return Status.RESOURCE_EXHAUSTED.withDescription("message " + (message + 1) + ": " + bytes
                    + " bytes exceed the receiver's message limit of " + max + " bytes (--max-message "
                    + ByteSize.format(max) + ")");
        }
        if (s.getCode() == Status.Code.UNKNOWN) {
            return Status.INTERNAL.withDescription("message " + (message + 1) + ": the transport could not read its gRPC"
                    + " frame (" + s.getCause() + ")");
        }
        // a malformed header, a compressed message, a stream ended mid-message: the message being read
        return s.withDescription("message " + Math.max(message, 1) + ": " + d);
    }
}
