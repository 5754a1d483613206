package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.log.Log;
import tern.common.tls.TrialCertificates;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/**
 * Each way a connection fails is one line naming the address and the cause, exit 1 (2 for a host
 * name that does not resolve, found at start-up), and no stack trace: nothing listening, an
 * HTTP/1 server, an HTTP/2 (gRPC) server without Tern's service, a TLS failure (an expired client
 * certificate, named as such on both sides), and a receiver whose --listen address is taken. The
 * servers that are no Tern receiver are real ones, run in this JVM: the JDK's HTTP server and a
 * gRPC server with no services. The other kinds of TLS failure (a certificate made for the other
 * side, a host the certificate does not name, a plaintext peer, another CA) are MutualTlsTest's,
 * against the real engine and receiver in one JVM, where a TLS start-up costs less.
 */
class ConnectionFailuresIT extends ProcessTest {
    private ChildProcess sender(String name, String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--workload", "idle", "--memory", "1MiB", "--quiet"));
        return processes.run(name, "tern-sender", a.toArray(String[]::new));
    }

    /** The one line on stderr of a process that exited with {@code code}. */
    private static String oneLine(ChildProcess p, int code) throws Exception {
        assertEquals(code, p.awaitExit(), p.outputs());
        assertEquals(1, p.stderrLines().size(), "one line" + p.outputs());
        return Log.untimed(p.stderrLines().get(0));
    }

    @Test
    void socketAndProtocolFailuresNameTheirCause() throws Exception {
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        String refused = oneLine(sender("refused", "--to", "127.0.0.1:" + free), 1);
        assertEquals("tern-sender: cannot reach receiver 127.0.0.1:" + free + ": connection refused (nothing listens on"
                + " that port)", refused);

        String unknown = oneLine(sender("unknown-host", "--to", "no-such-host.invalid:7070"), 2);
        assertEquals("tern-sender: --to no-such-host.invalid: unknown host no-such-host.invalid", unknown);

        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        http.start();
        try {
            String h1 = oneLine(sender("http1", "--to", "127.0.0.1:" + http.getAddress().getPort()), 1);
            assertEquals("tern-sender: not a Tern receiver at 127.0.0.1:" + http.getAddress().getPort()
                    + ": an HTTP/1 server answered (Tern speaks gRPC over HTTP/2)", h1);
        } finally {
            http.stop(0);
        }

        Server grpc = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).build().start();
        try {
            String h2 = oneLine(sender("grpc-without-tern", "--to", "127.0.0.1:" + grpc.getPort()), 1);
            assertTrue(h2.startsWith("tern-sender: not a Tern receiver at 127.0.0.1:" + grpc.getPort()
                    + ": a gRPC server without the tern.v1.Migration service (UNIMPLEMENTED: "), h2);
        } finally {
            grpc.shutdownNow();
        }

        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            ChildProcess r = processes.run("receiver-taken", "tern-receiver", "--listen", "127.0.0.1:" + taken.getLocalPort(),
                    "--image", dir.resolve("taken.img").toString());
            assertEquals("tern-receiver: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use"
                    + " (another process listens on that port)", oneLine(r, 1));
            assertFalse(r.stdout().contains("listening on"), r.outputs());
        }
    }

    @Test
    void anExpiredCertificateIsNamedAsExpired() throws Exception {
        Path certs = dir.resolve("certs");
        TrialCertificates ca = new TrialCertificates(Duration.ofHours(1));
        ca.write(certs, List.of());
        Instant now = Instant.now();
        ca.issue(certs, "expired", List.of(), TrialCertificates.Role.SENDER, now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)));
        String caPem = certs.resolve("ca.pem").toString();

        ProcessGroup.Receiver receiver = processes.startReceiver("receiver-tls", "--listen", "127.0.0.1:0",
                "--image", dir.resolve("tls.img").toString(), "--tls-cert", certs.resolve("receiver.pem").toString(),
                "--tls-key", certs.resolve("receiver-key.pem").toString(), "--tls-ca", caPem);
        String expired = oneLine(sender("expired", "--to", receiver.to(), "--tls-cert", certs.resolve("expired.pem").toString(),
                "--tls-key", certs.resolve("expired-key.pem").toString(), "--tls-ca", caPem), 1);
        assertTrue(expired.startsWith("tern-sender: TLS handshake with receiver " + receiver.to()
                + " failed: the receiver refused this sender's certificate"), expired);
        String logged = receiver.process().awaitStderrLine(l -> l.contains("refused client certificate 'CN=tern-expired'"),
                ChildProcess.TIMEOUT);
        assertTrue(logged.contains(": expired ("), logged);
    }
}
