package tern.sender.transport;

import io.grpc.Status;
import java.util.Locale;
import tern.common.net.SocketErrors;
import tern.common.tls.TlsFailures;
import tern.sender.transport.MigrationChannel.ChannelException;

/**
 * Why a stream to the receiver failed, as one line naming the address: the one place the
 * sender reads gRPC's {@link Status} and its causes. gRPC reports most of these as "UNAVAILABLE:
 * io exception" or "INTERNAL: http2 exception"; the cause underneath says what a person can act
 * on, and whether trying again can help (a lost connection can be resumed; a refusal, a TLS
 * failure or a peer that is no Tern receiver cannot).
 *
 * <table>
 *   <caption>what the sender says</caption>
 *   <tr><th>cause</th><th>line</th><th>resumable</th></tr>
 *   <tr><td>a TLS handshake failed</td><td>TLS handshake with receiver A failed: (kind, {@link TlsFailures})</td><td>no</td></tr>
 *   <tr><td>a socket error (refused, no route, timed out, unknown host)</td><td>cannot reach receiver A: (reason, {@link SocketErrors})</td><td>yes</td></tr>
 *   <tr><td>an HTTP/1 server (its first bytes are "HTTP/")</td><td>not a Tern receiver at A: an HTTP/1 server answered</td><td>no</td></tr>
 *   <tr><td>a peer that is no HTTP/2 server</td><td>not a Tern receiver at A: the peer does not speak HTTP/2</td><td>no</td></tr>
 *   <tr><td>UNIMPLEMENTED</td><td>not a Tern receiver at A: a gRPC (or HTTP/2) server without the service</td><td>no</td></tr>
 *   <tr><td>INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED, RESOURCE_EXHAUSTED, OUT_OF_RANGE</td><td>receiver A refused: CODE: its reason</td><td>no</td></tr>
 *   <tr><td>the connection closed, reset, a keepalive timeout</td><td>connection to receiver A lost: ...</td><td>yes</td></tr>
 * </table>
 */
final class ConnectionFailure {
    private static final String HTTP1 = "485454502f"; // "HTTP/" as netty's hex dump of the first 5 bytes
    private static final String NOT_SETTINGS = "first received frame was not settings";

    private ConnectionFailure() {
    }

    /**
     * @param address   HOST:PORT of the receiver the stream went to
     * @param plaintext the sender speaks plaintext (a TLS receiver then hangs up without a word)
     */
    static ChannelException of(Status s, String address, boolean plaintext) {
        Throwable cause = s.getCause();
        String tls = TlsFailures.describe(cause);
        if (tls != null) {
            return new ChannelException("TLS handshake with receiver " + address + " failed: " + tls, false);
        }
        String desc = s.getDescription() == null ? "" : s.getDescription();
        String http2 = http2Refusal(cause);
        if (http2 != null) {
            return new ChannelException("not a Tern receiver at " + address + ": " + http2, false);
        }
        switch (s.getCode()) {
            case UNIMPLEMENTED -> {
                return new ChannelException("not a Tern receiver at " + address + ": " + (desc.startsWith("HTTP status code")
                        ? "an HTTP/2 server that is not gRPC answered (" + firstLine(desc) + ")"
                        : "a gRPC server without the tern.v1.Migration service (UNIMPLEMENTED: " + desc + ")"), false);
            }
            case INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED, RESOURCE_EXHAUSTED, OUT_OF_RANGE -> {
                return new ChannelException("receiver " + address + " refused: " + s.getCode() + ": " + desc, false);
            }
            default -> {
                // a connection that could not be made, or was lost
            }
        }
        String socket = SocketErrors.reason(cause);
        if (socket != null && s.getCode() == Status.Code.UNAVAILABLE) {
            return new ChannelException((socket.startsWith("connection reset") ? "connection to receiver " + address
                    + " lost: " : "cannot reach receiver " + address + ": ") + socket, true);
        }
        boolean resumable = switch (s.getCode()) {
            case UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, UNKNOWN -> true;
            default -> false;
        };
        // a TLS receiver closes a plaintext connection without a word the client could show
        boolean mayWantTls = plaintext && s.getCode() == Status.Code.UNAVAILABLE && desc.startsWith("Network closed");
        return new ChannelException("connection to receiver " + address + " lost: " + s.getCode()
                + (desc.isEmpty() ? "" : ": " + desc)
                + (cause != null && desc.isEmpty() ? ": " + cause.getMessage() : "")
                + (mayWantTls ? " (if the receiver runs with --tls-cert/--tls-key/--tls-ca, give this sender its own)" : ""),
                resumable);
    }

    /** What a peer that does not speak HTTP/2 sent instead, from netty's "first frame was not SETTINGS". */
    private static String http2Refusal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            if (m.toLowerCase(Locale.ROOT).startsWith(NOT_SETTINGS)) {
                return m.toLowerCase(Locale.ROOT).endsWith(HTTP1)
                        ? "an HTTP/1 server answered (Tern speaks gRPC over HTTP/2)"
                        : "the peer does not speak HTTP/2 (" + m + ")";
            }
        }
        return null;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
