package tern.receiver;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.common.tls.TlsFiles;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * docs/hostile-input.md: a client certificate signed by the receiver's CA but expired, or without
 * TLS client authentication in its key usage, was logged as "not signed by --tls-ca". The
 * receiver's log now says what is wrong with it; a certificate of another CA is still "not signed".
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsRefusalTest {
    @TempDir
    Path dir;
    KeyPair caKeys;
    X500Principal caName = new X500Principal("CN=test CA");
    ReceiverServer server;
    final BlockingQueue<String> refusals = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        caKeys = keys();
        X509Certificate ca = sign(caName, caKeys, caName, caKeys, Instant.now().minusSeconds(3600),
                Instant.now().plusSeconds(3600), null, true);
        pem(dir.resolve("ca.pem"), "CERTIFICATE", ca.getEncoded());
        KeyPair serverKeys = keys();
        X509Certificate s = sign(new X500Principal("CN=receiver"), serverKeys, caName, caKeys, Instant.now().minusSeconds(3600),
                Instant.now().plusSeconds(3600), KeyPurposeId.id_kp_serverAuth, false);
        pem(dir.resolve("receiver.pem"), "CERTIFICATE", s.getEncoded());
        pem(dir.resolve("receiver-key.pem"), "PRIVATE KEY", serverKeys.getPrivate().getEncoded());
        TlsFiles files = TlsFiles.load(dir.resolve("receiver.pem"), dir.resolve("receiver-key.pem"), dir.resolve("ca.pem"));
        server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), dir.resolve("image.img"),
                ReceiverConfig.defaults(), SessionListener.NONE, files.serverCredentials(refusals::add), refusals::add);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void anExpiredCertificateOfTheCaIsLoggedAsExpired() throws Exception {
        List<String> lines = refusedLines(client("expired", caName, caKeys, Instant.now().minusSeconds(7200),
                Instant.now().minusSeconds(3600), KeyPurposeId.id_kp_clientAuth));
        assertTrue(lines.size() == 2 && lines.get(0).startsWith("refused client certificate 'CN=expired'"), lines::toString);
        for (String l : lines) {
            assertTrue(l.contains("expired"), l);
            assertFalse(l.contains("not signed"), l);
        }
    }

    @Test
    void aCertificateOfTheCaWithoutClientAuthenticationIsLoggedAsSuch() throws Exception {
        List<String> lines = refusedLines(client("server-only", caName, caKeys, Instant.now().minusSeconds(3600),
                Instant.now().plusSeconds(3600), KeyPurposeId.id_kp_serverAuth));
        assertTrue(lines.size() == 2 && lines.get(0).startsWith("refused client certificate 'CN=server-only'"),
                lines::toString);
        for (String l : lines) {
            assertTrue(l.contains("not made for TLS client authentication"), l);
            assertFalse(l.contains("not signed"), l);
        }
    }

    /** The client does not even offer a certificate the CA did not sign (the server names its CA in the handshake). */
    @Test
    void aCertificateOfAnotherCaIsNotSignedByTheCa() throws Exception {
        X500Principal other = new X500Principal("CN=other CA");
        List<String> lines = refusedLines(client("foreign", other, keys(), Instant.now().minusSeconds(3600),
                Instant.now().plusSeconds(3600), KeyPurposeId.id_kp_clientAuth));
        String watch = lines.get(lines.size() - 1);
        assertTrue(watch.contains("no certificate signed by --tls-ca") || watch.contains("not signed by --tls-ca"), watch);
    }

    /** Connects with the client's certificate; the receiver's two lines about it (trust manager, handshake watch). */
    private List<String> refusedLines(String name) throws Exception {
        ManagedChannel ch = NettyChannelBuilder.forAddress("localhost", server.port(),
                TlsChannelCredentials.newBuilder().keyManager(dir.resolve(name + ".pem").toFile(),
                        dir.resolve(name + "-key.pem").toFile()).trustManager(dir.resolve("ca.pem").toFile()).build()).build();
        try {
            Status end = OneMessageStream.send(ch, ReceiverFixture.msg(ReceiverFixture.hello()), RawPeer.TIMEOUT_SECONDS);
            assertFalse(end.isOk(), "the receiver accepted " + name);
        } finally {
            ch.shutdownNow();
            ch.awaitTermination(5, TimeUnit.SECONDS);
        }
        List<String> lines = new ArrayList<>();
        boolean watched = false;
        while (!watched) {
            String l = refusals.poll(RawPeer.TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(l, "no refusal line from the handshake watch; so far " + lines);
            lines.add(l);
            watched = l.startsWith("refused client /127.0.0.1:");
        }
        return lines;
    }

    private String client(String name, X500Principal issuer, KeyPair issuerKeys, Instant from, Instant to, KeyPurposeId use)
            throws Exception {
        KeyPair k = keys();
        X509Certificate c = sign(new X500Principal("CN=" + name), k, issuer, issuerKeys, from, to, use, false);
        pem(dir.resolve(name + ".pem"), "CERTIFICATE", c.getEncoded());
        pem(dir.resolve(name + "-key.pem"), "PRIVATE KEY", k.getPrivate().getEncoded());
        return name;
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(X500Principal subject, KeyPair keys, X500Principal issuer, KeyPair issuerKeys,
                                        Instant from, Instant to, KeyPurposeId use, boolean ca) throws Exception {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(System.nanoTime()),
                Date.from(from), Date.from(to), subject, keys.getPublic());
        if (ca) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(use));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    }

    private static void pem(Path file, String type, byte[] der) throws Exception {
        Files.writeString(file, "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(der) + "\n-----END " + type + "-----\n", StandardCharsets.US_ASCII);
    }
}
