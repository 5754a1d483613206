package tern.receiver.server;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import tern.common.wire.WireMessage;

/**
 * The receiver's side of one call, safe to use from the service's threads and from a transport
 * thread: a gRPC call may be used by one thread at a time, and the transport must be able to
 * close a call with a status ({@link StreamGuard}) without waiting for the service's lock, which a
 * long verification may hold. After the call is closed every method is a no-op.
 */
final class CallOut {
    private final ServerCallStreamObserver<WireMessage> out;
    private boolean closed;

    CallOut(ServerCallStreamObserver<WireMessage> out) {
        this.out = out;
    }

    synchronized boolean closed() {
        return closed;
    }

    synchronized void send(WireMessage m) {
        if (!closed) {
            try {
                out.onNext(m);
            } catch (IllegalStateException closedByGrpc) {
                closed = true; // gRPC closed the call itself (a failed write): nothing more goes out
            }
        }
    }

    synchronized void request(int n) {
        if (!closed) {
            out.request(n);
        }
    }

    synchronized boolean isReady() {
        return !closed && out.isReady();
    }

    /** Ends the call with {@code status} (its trailers), unless it has ended; true when this call ended it. */
    synchronized boolean fail(Status status) {
        if (closed) {
            return false;
        }
        closed = true;
        try {
            out.onError(status.asRuntimeException());
        } catch (IllegalStateException closedByGrpc) {
            // gRPC closed the call itself (a failed write): the peer has its status already
            return false;
        }
        return true;
    }

    synchronized void complete() {
        if (!closed) {
            closed = true;
            try {
                out.onCompleted();
            } catch (IllegalStateException closedByGrpc) {
                // gRPC closed the call itself (a failed write): the peer has its status already
            }
        }
    }

    /** The transport ended the call (cancelled, reset, connection lost): nothing more may be written. */
    synchronized void lost() {
        closed = true;
    }
}
