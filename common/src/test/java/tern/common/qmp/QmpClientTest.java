package tern.common.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.json.JsonObjects;
import tern.common.stats.Json;

/**
 * The client against a peer on a real unix socket that answers as QEMU 7.2 does (greeting,
 * capabilities negotiation, returns, errors, interleaved events). The client against QEMU itself
 * is exercised by the integration tests.
 */
class QmpClientTest {
    @TempDir
    Path dir;

    /** Answers each command line with the next scripted reply lines; records the commands. */
    private Thread peer(ServerSocketChannel server, List<String> received, List<List<String>> replies) {
        Thread t = new Thread(() -> {
            try (SocketChannel c = server.accept();
                 BufferedReader r = new BufferedReader(new InputStreamReader(Channels.newInputStream(c), StandardCharsets.UTF_8))) {
                send(c, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}");
                for (List<String> reply : replies) {
                    String line = r.readLine();
                    if (line == null) {
                        return;
                    }
                    received.add(line);
                    for (String l : reply) {
                        send(c, l);
                    }
                }
            } catch (IOException e) {
                received.add("peer failed: " + e);
            }
        });
        t.start();
        return t;
    }

    private static void send(SocketChannel c, String line) throws IOException {
        c.write(ByteBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void commandsReturnsErrorsAndEvents() throws Exception {
        Path sock = dir.resolve("qmp.sock");
        List<String> received = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = peer(server, received, List.of(
                    List.of("{\"return\": {}}"),
                    List.of("{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": \"STOP\"}",
                            "{\"return\": {}}"),
                    List.of("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'uri' is missing\"}}"),
                    List.of("{\"return\": {\"status\": \"running\", \"running\": true}}",
                            "{\"timestamp\": {\"seconds\": 1700000001, \"microseconds\": 5}, \"event\": \"MIGRATION\","
                                    + " \"data\": {\"status\": \"completed\"}}")));
            try (QmpClient qmp = QmpClient.connect(sock, Duration.ofSeconds(10))) {
                assertEquals(Map.of(), qmp.execute("stop"));
                QmpException e = assertThrows(QmpException.class,
                        () -> qmp.execute("migrate", Json.object().put("detach", true)));
                assertEquals("GenericError", e.errorClass());
                assertEquals("Parameter 'uri' is missing", e.desc());
                assertTrue(e.getMessage().contains("migrate") && e.getMessage().contains("GenericError"), e.getMessage());
                @SuppressWarnings("unchecked")
                Map<String, Object> status = (Map<String, Object>) qmp.execute("query-status");
                assertEquals(Boolean.TRUE, status.get("running"));
                // the STOP came in before stop's return: it was kept, with QEMU's timestamp
                QmpEvent stop = qmp.awaitEvent(ev -> ev.name().equals("STOP"), Duration.ofSeconds(5));
                assertEquals(1_700_000_000_123_456L, stop.epochMicros());
                QmpEvent mig = qmp.awaitEvent(ev -> ev.name().equals("MIGRATION"), Duration.ofSeconds(5));
                assertEquals("completed", mig.dataString("status"));
                // the peer hangs up after its script: a waiter hears so rather than timing out
                IOException closed = assertThrows(IOException.class,
                        () -> qmp.awaitEvent(ev -> true, Duration.ofSeconds(10)));
                assertTrue(closed.getMessage().contains("closed the connection"), closed.getMessage());
            }
            t.join(10_000);
        }
        assertEquals("qmp_capabilities", JsonObjects.parse(received.get(0)).get("execute"));
        assertEquals("stop", JsonObjects.parse(received.get(1)).get("execute"));
        Map<String, Object> migrate = JsonObjects.parse(received.get(2));
        assertEquals("migrate", migrate.get("execute"));
        assertEquals(Map.of("detach", true), migrate.get("arguments"));
    }

    @Test
    void aPeerThatIsNoQmpIsRefused() throws Exception {
        Path sock = dir.resolve("not-qmp.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    send(c, "{\"hello\": 1}");
                } catch (IOException ignored) {
                    // the client hung up first
                }
            });
            t.start();
            IOException e = assertThrows(IOException.class, () -> QmpClient.connect(sock, Duration.ofSeconds(10)));
            assertTrue(e.getMessage().contains("expected a QMP greeting"), e.getMessage());
            t.join(10_000);
        }
    }

    @Test
    void noSocketFailsAfterTheConnectTimeout() {
        IOException e = assertThrows(IOException.class,
                () -> QmpClient.connect(dir.resolve("absent.sock"), Duration.ofMillis(100)));
        assertTrue(e.getMessage().contains("absent.sock") && e.getMessage().contains("cannot connect"), e.getMessage());
    }
}
