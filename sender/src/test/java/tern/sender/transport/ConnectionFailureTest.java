package tern.sender.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import tern.sender.transport.MigrationChannel.ChannelException;

/**
 * gRPC's Status, as the transport reports each cause (the causes' types and messages are those
 * netty and the JDK give; ConnectionFailuresIT meets the real ones), becomes one line naming the
 * address, and says whether trying again can help.
 */
class ConnectionFailureTest {
    private static final String A = "10.0.0.2:7070";

    private static ChannelException of(Status s) {
        return ConnectionFailure.of(s, A, false);
    }

    @Test
    void socketErrorsAreUnreachableAndResumable() {
        ChannelException refused = of(Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new ConnectException("finishConnect(..) failed with error(-111): Connection refused")));
        assertEquals("cannot reach receiver " + A + ": connection refused (nothing listens on that port)", refused.getMessage());
        assertTrue(refused.resumable());
        assertEquals("cannot reach receiver " + A + ": no route to host",
                of(Status.UNAVAILABLE.withCause(new NoRouteToHostException("No route to host"))).getMessage());
        assertEquals("cannot reach receiver " + A + ": unknown host nosuch.example",
                of(Status.UNAVAILABLE.withDescription("Unable to resolve host nosuch.example")
                        .withCause(new UnknownHostException("nosuch.example: Name or service not known"))).getMessage());
    }

    @Test
    void peersThatAreNoTernReceiverAreNamedAndFinal() {
        ChannelException http1 = of(Status.INTERNAL.withDescription("http2 exception").withCause(
                new IllegalStateException("First received frame was not SETTINGS. Hex dump for first 5 bytes: 485454502f")));
        assertEquals("not a Tern receiver at " + A + ": an HTTP/1 server answered (Tern speaks gRPC over HTTP/2)",
                http1.getMessage());
        assertFalse(http1.resumable());
        assertTrue(of(Status.INTERNAL.withCause(new IllegalStateException(
                "First received frame was not SETTINGS. Hex dump for first 5 bytes: 5353482d32"))).getMessage()
                .startsWith("not a Tern receiver at " + A + ": the peer does not speak HTTP/2"));
        assertEquals("not a Tern receiver at " + A + ": a gRPC server without the tern.v1.Migration service"
                + " (UNIMPLEMENTED: Method not found: tern.v1.Migration/Migrate)",
                of(Status.UNIMPLEMENTED.withDescription("Method not found: tern.v1.Migration/Migrate")).getMessage());
        assertEquals("not a Tern receiver at " + A + ": an HTTP/2 server that is not gRPC answered (HTTP status code 404)",
                of(Status.UNIMPLEMENTED.withDescription("HTTP status code 404\ninvalid content-type")).getMessage());
    }

    @Test
    void refusalsAreFinalAndLostConnectionsResumable() {
        ChannelException refused = of(Status.FAILED_PRECONDITION.withDescription("hello.page_count: too large"));
        assertEquals("receiver " + A + " refused: FAILED_PRECONDITION: hello.page_count: too large", refused.getMessage());
        assertFalse(refused.resumable());
        ChannelException lost = of(Status.UNAVAILABLE.withDescription("Keepalive failed. The connection is likely gone"));
        assertEquals("connection to receiver " + A + " lost: UNAVAILABLE: Keepalive failed. The connection is likely gone",
                lost.getMessage());
        assertTrue(lost.resumable());
        String closed = ConnectionFailure.of(Status.UNAVAILABLE.withDescription("Network closed for unknown reason"), A, true)
                .getMessage();
        assertTrue(closed.endsWith("(if the receiver runs with --tls-cert/--tls-key/--tls-ca, give this sender its own)"), closed);
    }
}
