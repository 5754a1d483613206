package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tern.common.log.Log;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/**
 * Mutual TLS between the packaged tools as separate processes, with certificates from
 * bin/tern-certs: clients the receiver's CA did not sign are refused with a message on both sides,
 * a signed sender then migrates byte-identical; plaintext beyond loopback is bad usage.
 */
class MutualTlsIT extends ProcessTest {
    private static List<String> tls(Path certs, String role, Path ca) {
        return List.of("--tls-cert", certs.resolve(role + ".pem").toString(), "--tls-key",
                certs.resolve(role + "-key.pem").toString(), "--tls-ca", ca.toString());
    }

    private static String[] args(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all.toArray(new String[0]);
    }

    @Test
    void refusesUnsignedClientsThenMigratesASignedOneByteIdentical() throws Exception {
        Path certs = dir.resolve("certs");
        Path foreign = dir.resolve("foreign");
        ChildProcess gen = processes.run("certs", "tern-certs", "--out", certs.toString(), "--hosts", "127.0.0.1,localhost");
        assertEquals(0, gen.awaitExit(), gen.outputs());
        assertEquals(0, processes.run("certs-foreign", "tern-certs", "--out", foreign.toString()).awaitExit());
        Path ca = certs.resolve("ca.pem");

        Path source = dir.resolve("source.ram");
        byte[] bytes = new byte[4 << 20];
        new Random(5).nextBytes(bytes);
        Files.write(source, bytes);
        Path image = dir.resolve("image.ram");

        ProcessGroup.Receiver started = processes.startReceiver("receiver",
                args(List.of("--listen", "127.0.0.1:0", "--image", image.toString()), tls(certs, "receiver", ca)));
        ChildProcess receiver = started.process();
        String to = started.to();
        List<String> migrate = List.of("--to", to, "--source", "file:" + source, "--quiet");

        // a certificate of another CA
        ChildProcess intruder = processes.run("sender-foreign", "tern-sender", args(migrate, tls(foreign, "sender", ca)));
        assertEquals(1, intruder.awaitExit(), intruder.outputs());
        String said = Log.untimed(intruder.stderrLines().get(intruder.stderrLines().size() - 1));
        assertTrue(said.startsWith("tern-sender: TLS handshake with receiver " + to + " failed: the receiver refused this"
                + " sender's certificate"), intruder.outputs());
        awaitStderr(receiver, "tern-receiver: refused client /127.0.0.1:");

        // no TLS at all
        ChildProcess plain = processes.run("sender-plain", "tern-sender", migrate.toArray(new String[0]));
        assertEquals(1, plain.awaitExit(), plain.outputs());
        awaitStderr(receiver, "the client spoke plaintext, not TLS");
        assertTrue(!Files.exists(image) || Files.size(image) == 0, "a refused client reached the image");

        // signed by the receiver's CA, to the receiver's name as the certificate gives it
        ChildProcess sender = processes.run("sender", "tern-sender",
                args(List.of("--to", "localhost:" + started.port(), "--source", "file:" + source, "--quiet"),
                        tls(certs, "sender", ca)));
        assertEquals(0, sender.awaitExit(), sender.outputs() + receiver.outputs());
        assertEquals(0, receiver.awaitExit(), receiver.outputs());
        assertEquals(-1, Files.mismatch(source, image), "image differs from the source" + receiver.outputs());
    }

    @Test
    void plaintextBeyondLoopbackIsBadUsageOnBothTools() throws Exception {
        ChildProcess s = processes.run("sender", "tern-sender", "--to", "10.255.255.1:7070", "--workload", "idle", "--memory", "1MiB");
        assertEquals(2, s.awaitExit(), s.outputs());
        assertEquals(List.of("tern-sender: --to 10.255.255.1 is not a loopback address: give --tls-cert, --tls-key"
                + " and --tls-ca for mutual TLS, or --insecure to send memory in plaintext"),
                s.stderrLines().stream().map(Log::untimed).toList());
        ChildProcess r = processes.run("receiver", "tern-receiver", "--listen", "0.0.0.0:0", "--image", dir.resolve("i").toString());
        assertEquals(2, r.awaitExit(), r.outputs());
        assertEquals(1, r.stderrLines().size(), r.outputs());
        assertTrue(Log.untimed(r.stderrLines().get(0)).startsWith("tern-receiver: --listen 0.0.0.0 is not a loopback address"),
                r.outputs());
        ChildProcess half = processes.run("half", "tern-sender", "--to", "10.255.255.1:7070", "--workload", "idle", "--memory", "1MiB",
                "--tls-cert", dir.resolve("nope.pem").toString());
        assertEquals(2, half.awaitExit(), half.outputs());
        assertTrue(half.stderr().contains("missing --tls-key, --tls-ca"), half.outputs());
    }

    /** Waits for a receiver's stderr line containing {@code text} (the receiver keeps running). */
    private static void awaitStderr(ChildProcess p, String text) throws Exception {
        p.awaitStderrLine(l -> l.contains(text), ChildProcess.TIMEOUT);
    }
}
