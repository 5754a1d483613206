package tern.common.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The TLS options' usage errors: each names the option and, for a bad file, the file. */
class TlsOptionsTest {
    @TempDir
    Path dir;
    Path certs;

    @Command(name = "t")
    static final class Tool {
        @Mixin
        TlsOptions tls;
    }

    @BeforeEach
    void certs() throws Exception {
        certs = dir.resolve("certs");
        new TrialCertificates(Duration.ofHours(1)).write(certs, List.of("10.1.2.3", "tern.example"));
    }

    TlsOptions parse(String... args) {
        Tool t = new Tool();
        new CommandLine(t).parseArgs(args);
        return t.tls;
    }

    String refused(String host, String... args) {
        return assertThrows(IllegalArgumentException.class, () -> parse(args).resolve(host, "--to")).getMessage();
    }

    String[] full(String role) {
        return new String[] {"--tls-cert", certs.resolve(role + ".pem").toString(), "--tls-key",
                certs.resolve(role + "-key.pem").toString(), "--tls-ca", certs.resolve("ca.pem").toString()};
    }

    @Test
    void plaintextOnLoopbackNeedsNothing() {
        assertNull(parse().resolve("127.0.0.1", "--to"));
        assertNull(parse().resolve("localhost", "--to"));
        assertNull(parse().resolve("::1", "--to"));
    }

    @Test
    void plaintextElsewhereNeedsInsecure() {
        for (String host : List.of("10.1.2.3", "0.0.0.0", "192.168.0.1")) {
            String m = refused(host);
            assertTrue(m.contains("--to " + host) && m.contains("not a loopback address") && m.contains("--insecure"), m);
            assertNull(parse("--insecure").resolve(host, "--to"));
        }
    }

    @Test
    void fullTlsLoads() {
        TlsFiles f = parse(full("receiver")).resolve("0.0.0.0", "--listen");
        assertNotNull(f);
        assertEquals(certs.resolve("ca.pem"), f.ca());
        assertNotNull(f.serverCredentials(s -> { }));
        assertNotNull(parse(full("sender")).resolve("10.1.2.3", "--to").channelCredentials());
    }

    @Test
    void halfConfiguredTlsNamesWhatIsMissing() {
        String m = refused("127.0.0.1", "--tls-cert", certs.resolve("sender.pem").toString());
        assertTrue(m.contains("missing --tls-key, --tls-ca"), m);
        m = refused("127.0.0.1", "--tls-key", certs.resolve("sender-key.pem").toString(), "--tls-ca",
                certs.resolve("ca.pem").toString());
        assertTrue(m.contains("missing --tls-cert") && !m.contains("--tls-key,"), m);
    }

    @Test
    void insecureWithTlsIsAContradiction() {
        String[] args = full("sender");
        String[] withInsecure = java.util.Arrays.copyOf(args, args.length + 1);
        withInsecure[args.length] = "--insecure";
        assertTrue(refused("10.1.2.3", withInsecure).contains("--insecure"));
    }

    @Test
    void badFilesAreNamed() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
        Path missing = dir.resolve("missing.pem");
        Path pkcs1 = Files.writeString(dir.resolve("rsa.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        String cert = certs.resolve("sender.pem").toString();
        String key = certs.resolve("sender-key.pem").toString();
        String ca = certs.resolve("ca.pem").toString();

        String m = refused("x", "--tls-cert", garbage.toString(), "--tls-key", key, "--tls-ca", ca);
        assertTrue(m.startsWith("--tls-cert " + garbage) && m.contains("not a PEM certificate"), m);
        m = refused("x", "--tls-cert", cert, "--tls-key", key, "--tls-ca", missing.toString());
        assertTrue(m.startsWith("--tls-ca " + missing) && m.contains("no such file"), m);
        m = refused("x", "--tls-cert", cert, "--tls-key", pkcs1.toString(), "--tls-ca", ca);
        assertTrue(m.startsWith("--tls-key " + pkcs1) && m.contains("PKCS#8"), m);
        m = refused("x", "--tls-cert", cert, "--tls-key", ca, "--tls-ca", ca);
        assertTrue(m.startsWith("--tls-key " + ca) && m.contains("no PEM private key"), m);
        m = refused("x", "--tls-cert", cert, "--tls-key", certs.resolve("receiver-key.pem").toString(), "--tls-ca", ca);
        assertTrue(m.contains("does not belong to --tls-cert " + cert), m);
        m = refused("x", "--tls-cert", key, "--tls-key", key, "--tls-ca", ca);
        assertTrue(m.startsWith("--tls-cert " + key), m);
    }

    @Test
    void certificatesNameTheHostsAsSubjectAlternativeNames() throws Exception {
        var cert = TlsFiles.certificates("--tls-cert", certs.resolve("receiver.pem")).get(0);
        List<String> names = cert.getSubjectAlternativeNames().stream().map(l -> l.get(0) + ":" + l.get(1)).toList();
        assertTrue(names.containsAll(List.of("7:10.1.2.3", "2:tern.example", "2:localhost", "7:127.0.0.1")), names::toString);
        var ca = TlsFiles.certificates("--tls-ca", certs.resolve("ca.pem")).get(0);
        cert.verify(ca.getPublicKey());
        assertTrue(Files.readString(certs.resolve("receiver-key.pem")).startsWith("-----BEGIN PRIVATE KEY-----"));
        String again = assertThrows(IllegalArgumentException.class,
                () -> new TrialCertificates(Duration.ofHours(1)).write(certs, List.of())).getMessage();
        assertTrue(again.contains("already holds"), again);
    }
}
