package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509KeyManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tern.common.tls.TlsFiles;
import tern.common.tls.TrialCertificates;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;
import tern.sender.transport.MigrationChannel;

/**
 * Mutual TLS between the real engine and a real receiver over loopback gRPC: a client the
 * receiver's CA did not sign is refused, with a message on both sides; a signed one migrates
 * byte-identical. Certificates come from the trial CA of bin/tern-certs, two independent CAs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MutualTlsTest {
    @TempDir
    Path dir;
    Path ours;
    Path foreign;
    ReceiverServer server;
    Path image;
    final BlockingQueue<String> refusals = new LinkedBlockingQueue<>();

    /** Our CA, kept to issue the certificates a side must refuse. */
    TrialCertificates ca;

    @BeforeEach
    void start() throws Exception {
        ours = dir.resolve("ours");
        foreign = dir.resolve("foreign");
        ca = new TrialCertificates(Duration.ofHours(1));
        ca.write(ours, List.of());
        new TrialCertificates(Duration.ofHours(1)).write(foreign, List.of());
        Instant now = Instant.now();
        ca.issue(ours, "expired-sender", List.of(), TrialCertificates.Role.SENDER, now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)));
        ca.issue(ours, "expired-receiver", List.of(), TrialCertificates.Role.RECEIVER, now.minus(Duration.ofDays(2)),
                now.minus(Duration.ofDays(1)));
        image = dir.resolve("image.img");
        server = receiver("receiver", "127.0.0.1");
    }

    private ReceiverServer receiver(String certName, String host) throws Exception {
        TlsFiles receiver = TlsFiles.load(ours.resolve(certName + ".pem"), ours.resolve(certName + "-key.pem"),
                ours.resolve("ca.pem"));
        return ReceiverServer.start(new InetSocketAddress(host, 0), image, ReceiverConfig.defaults(),
                SessionListener.NONE, receiver.serverCredentials(refusals::add), refusals::add);
    }

    private ChannelCredentials sender(String certName) {
        return TlsFiles.load(ours.resolve(certName + ".pem"), ours.resolve(certName + "-key.pem"), ours.resolve("ca.pem"))
                .channelCredentials();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void signedClientMigratesByteIdentical() throws Exception {
        TlsFiles sender = TlsFiles.load(ours.resolve("sender.pem"), ours.resolve("sender-key.pem"), ours.resolve("ca.pem"));
        try (SyntheticWorkload w = Configs.workload(WorkloadPattern.MIXED, 512, 2, 0.5, 7)) {
            MigrationResult r = migrate(w, sender.channelCredentials(), "localhost");
            assertTrue(r.summary().verified());
            MigrationOutcome o = server.awaitOutcome();
            assertTrue(o.verified(), o::toString);
            assertArrayEquals(w.snapshot(), Files.readAllBytes(image), "image differs from the paused source");
        }
        assertTrue(refusals.isEmpty(), () -> "refusals logged for a signed client: " + refusals);
    }

    @Test
    void clientWithoutCertificateIsRefusedOnBothSides() throws Exception {
        ChannelCredentials noCert = TlsChannelCredentials.newBuilder().trustManager(ours.resolve("ca.pem").toFile()).build();
        String senderSays = refusedWith(noCert);
        assertTrue(senderSays.contains("receiver refused this sender's certificate"), senderSays);
        String receiverSays = nextRefusal();
        assertTrue(receiverSays.startsWith("refused client /127.0.0.1:"), receiverSays);
        assertTrue(receiverSays.contains("no certificate"), receiverSays);
    }

    @Test
    void clientWithACertificateOfAnotherCaIsRefusedOnBothSides() throws Exception {
        TlsFiles other = TlsFiles.load(foreign.resolve("sender.pem"), foreign.resolve("sender-key.pem"), ours.resolve("ca.pem"));
        String senderSays = refusedWith(other.channelCredentials());
        assertTrue(senderSays.contains("receiver refused this sender's certificate"), senderSays);
        assertTrue(nextRefusal().startsWith("refused client /127.0.0.1:"));
    }

    /**
     * gRPC's client sends no certificate its server's CA list does not name, so the case above is
     * a missing certificate on the wire; this client presents the foreign one regardless, which the
     * receiver must check and refuse itself, naming the certificate.
     */
    @Test
    void foreignCertificatePresentedAnywayIsRefusedNamingIt() throws Exception {
        X509KeyManager always = new AlwaysPresent(foreign.resolve("sender.pem"), foreign.resolve("sender-key.pem"));
        ChannelCredentials creds = TlsChannelCredentials.newBuilder().keyManager(always)
                .trustManager(ours.resolve("ca.pem").toFile()).build();
        String senderSays = refusedWith(creds);
        assertTrue(senderSays.contains("TLS handshake with receiver 127.0.0.1:") && senderSays.contains("signed by its --tls-ca"),
                senderSays);
        String first = nextRefusal();
        String second = nextRefusal();
        String both = first + "\n" + second;
        assertTrue(both.contains("refused client certificate 'CN=tern-sender' issued by 'CN=Tern trial CA")
                && both.contains("not signed by --tls-ca"), both);
        assertTrue(both.contains("refused client /127.0.0.1:"), both);
    }

    @Test
    void plaintextClientIsRefusedByATlsReceiver() throws Exception {
        String senderSays = refusedWith(InsecureChannelCredentials.create());
        assertTrue(senderSays.contains("if the receiver runs with --tls-cert/--tls-key/--tls-ca"), senderSays);
        String receiverSays = nextRefusal();
        assertTrue(receiverSays.startsWith("refused client /127.0.0.1:") && receiverSays.contains("plaintext"), receiverSays);
    }

    @Test
    void receiverCertificateOfAnotherCaIsRefusedByTheSender() throws Exception {
        TlsFiles sender = TlsFiles.load(ours.resolve("sender.pem"), ours.resolve("sender-key.pem"), foreign.resolve("ca.pem"));
        String senderSays = refusedWith(sender.channelCredentials());
        assertTrue(senderSays.contains("the receiver's certificate is not signed by this sender's --tls-ca"), senderSays);
    }

    @Test
    void expiredClientCertificateIsRefusedAsExpired() throws Exception {
        String senderSays = refusedWith(sender("expired-sender"));
        assertTrue(senderSays.contains("receiver refused this sender's certificate"), senderSays);
        String receiverSays = refusalContaining("refused client certificate");
        assertTrue(receiverSays.contains("'CN=tern-expired-sender'") && receiverSays.contains(": expired ("), receiverSays);
    }

    @Test
    void aReceiverCertificateAsTheClientsIsRefusedForItsKeyUsage() throws Exception {
        String senderSays = refusedWith(sender("receiver"));
        assertTrue(senderSays.contains("receiver refused this sender's certificate"), senderSays);
        String receiverSays = refusalContaining("refused client certificate");
        assertTrue(receiverSays.contains("'CN=tern-receiver'") && receiverSays.contains("not made for TLS client authentication"),
                receiverSays);
    }

    /**
     * A receiver certificate of our CA that the sender must refuse, and what it says: expired; made
     * for a client; valid, but not naming the host (127.0.0.2 is loopback too, but not among the
     * names the certificate lists).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "an expired receiver certificate | expired-receiver | 127.0.0.1 | 127.0.0.1 | the receiver's certificate expired",
        "a sender certificate as the receiver's | sender | 127.0.0.1 | 127.0.0.1 | not made for TLS server authentication",
        "a host the certificate does not name | receiver | 0.0.0.0 | 127.0.0.2 | does not name the host given to --to",
    })
    void aReceiverCertificateTheSenderMustRefuse(String what, String certificate, String listen, String host, String says)
            throws Exception {
        try (ReceiverServer refused = receiver(certificate, listen)) {
            String senderSays = refusedWith(sender("sender"), refused.port(), host);
            assertTrue(senderSays.contains(says), senderSays);
        }
    }

    @Test
    void aPlaintextReceiverIsNamedAsOne() throws Exception {
        try (ReceiverServer plain = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image,
                ReceiverConfig.defaults(), SessionListener.NONE)) {
            String senderSays = refusedWith(sender("sender"), plain.port(), "127.0.0.1");
            assertTrue(senderSays.contains("the receiver does not speak TLS"), senderSays);
        }
    }

    private MigrationResult migrate(SyntheticWorkload w, ChannelCredentials creds, String host) throws Exception {
        return migrate(w, creds, server.port(), host);
    }

    private MigrationResult migrate(SyntheticWorkload w, ChannelCredentials creds, int port, String host) throws Exception {
        try (MigrationChannel ch = MigrationChannel.connect(InetSocketAddress.createUnresolved(host, port),
                ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES, creds)) {
            return new PrecopyLoop(w, Configs.fixed(Mode.DIGEST, false, 2), ch, EngineListener.NONE).run();
        }
    }

    /** Runs a migration that must fail before any page is stored; returns the sender's message. */
    private String refusedWith(ChannelCredentials creds) throws Exception {
        return refusedWith(creds, server.port(), "127.0.0.1");
    }

    private String refusedWith(ChannelCredentials creds, int port, String host) throws Exception {
        try (SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 64, 1, 0, 1)) {
            MigrationFailure f = assertThrows(MigrationFailure.class, () -> migrate(w, creds, port, host));
            assertNotNull(f.getMessage());
            assertFalse(Files.exists(image), "a refused client reached the migration service");
            return f.getMessage();
        }
    }

    /** The next refusal the receiver logged that contains {@code text} (one refused client logs one or two lines). */
    private String refusalContaining(String text) throws InterruptedException {
        while (true) {
            String s = nextRefusal();
            if (s.contains(text)) {
                return s;
            }
        }
    }

    private String nextRefusal() throws InterruptedException {
        String s = refusals.poll(10, TimeUnit.SECONDS);
        assertNotNull(s, "the receiver reported no refusal");
        return s;
    }

    /** A key manager that presents its certificate whatever issuers the server asks for. */
    private static final class AlwaysPresent implements X509KeyManager {
        private final X509Certificate cert;
        private final PrivateKey key;

        AlwaysPresent(Path certPem, Path keyPem) throws Exception {
            try (var in = Files.newInputStream(certPem)) {
                cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            String text = Files.readString(keyPem).replaceAll("-----[A-Z ]+-----", "");
            key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(text)));
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "c";
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"c"};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return new X509Certificate[] {cert};
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
