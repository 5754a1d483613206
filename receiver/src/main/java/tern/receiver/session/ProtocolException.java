package tern.receiver.session;

import io.grpc.Status;

/** A peer's message that this receiver refuses; the message names the field and the value. */
public final class ProtocolException extends Exception {
    private final Status.Code code;

    private ProtocolException(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    /** Malformed, out-of-range, oversized or undecodable input (invariant 4). */
    public static ProtocolException invalid(String message) {
        return new ProtocolException(Status.Code.INVALID_ARGUMENT, message);
    }

    /** Well-formed, but not acceptable in this receiver's state or configuration. */
    public static ProtocolException precondition(String message) {
        return new ProtocolException(Status.Code.FAILED_PRECONDITION, message);
    }

    /** A resume token that is not the held migration's: the stream may not touch it. */
    public static ProtocolException denied(String message) {
        return new ProtocolException(Status.Code.PERMISSION_DENIED, message);
    }

    public Status toStatus() {
        return Status.fromCode(code).withDescription(getMessage());
    }
}
