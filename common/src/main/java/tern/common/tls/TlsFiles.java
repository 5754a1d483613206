package tern.common.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import tern.common.cli.StartupChecks;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The three PEM files of mutual TLS, checked when loaded, and the one way both tools turn them
 * into gRPC credentials: a certificate chain, its PKCS#8 private key, and the CA that must have
 * signed the peer's certificate. A bad file is a usage error naming the option and the file.
 */
public record TlsFiles(Path cert, Path key, Path ca) {

    /** Reads and checks the three files; throws {@link IllegalArgumentException} naming the one at fault. */
    public static TlsFiles load(Path cert, Path key, Path ca) {
        List<X509Certificate> chain = certificates("--tls-cert", cert);
        PrivateKey privateKey = privateKey("--tls-key", key);
        certificates("--tls-ca", ca);
        requireKeyMatches(chain.get(0), privateKey, cert, key);
        return new TlsFiles(cert, key, ca);
    }

    /**
     * The receiver's credentials: its own certificate, and client authentication REQUIRED against
     * the CA. {@code refused} hears one line per client certificate the CA did not sign.
     */
    public ServerCredentials serverCredentials(Consumer<String> refused) {
        try {
            return TlsServerCredentials.newBuilder()
                    .keyManager(cert.toFile(), key.toFile())
                    .trustManager(new RefusalReportingTrustManager(caTrustManager(), refused))
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + " / --tls-key " + key + ": " + e.getMessage(), e);
        }
    }

    /** The sender's credentials: its certificate for the receiver, and the CA the receiver's must chain to. */
    public ChannelCredentials channelCredentials() {
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(cert.toFile(), key.toFile())
                    .trustManager(ca.toFile())
                    .build();
        } catch (IOException e) {
            throw new IllegalArgumentException("--tls-cert " + cert + " / --tls-key " + key + ": " + e.getMessage(), e);
        }
    }

    private X509ExtendedTrustManager caTrustManager() {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate c : certificates("--tls-ca", ca)) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            f.init(store);
            for (TrustManager tm : f.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK offers no X.509 trust manager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("--tls-ca " + ca + ": " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> certificates(String option, Path file) {
        StartupChecks.readableFile(option, file);
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : all) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException(option + " " + file + ": no PEM certificate in the file");
            }
            return out;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(option + " " + file + ": not a PEM certificate: " + e.getMessage(), e);
        }
    }

    static PrivateKey privateKey(String option, Path file) {
        StartupChecks.readableFile(option, file);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + ": cannot read: " + e.getMessage(), e);
        }
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new IllegalArgumentException(option + " " + file + ": an encrypted key; give an unencrypted PKCS#8 key"
                    + " (openssl pkcs8 -topk8 -nocrypt)");
        }
        if (text.contains("-----BEGIN RSA PRIVATE KEY-----") || text.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new IllegalArgumentException(option + " " + file + ": a PKCS#1/SEC1 key; gRPC takes PKCS#8"
                    + " (convert: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8)");
        }
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int b = text.indexOf(begin);
        int e = b < 0 ? -1 : text.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new IllegalArgumentException(option + " " + file + ": no PEM private key (-----BEGIN PRIVATE KEY-----)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
        } catch (IllegalArgumentException x) {
            throw new IllegalArgumentException(option + " " + file + ": private key is not valid base64: " + x.getMessage(), x);
        }
        for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException | RuntimeException ignored) {
                // try the next key type
            }
        }
        throw new IllegalArgumentException(option + " " + file + ": not a PKCS#8 EC, RSA or Ed25519 private key");
    }

    /** A key from another pair would only fail at the first handshake, far from its cause: check now. */
    private static void requireKeyMatches(X509Certificate cert, PrivateKey key, Path certFile, Path keyFile) {
        String alg = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] probe = "tern key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (v.verify(sig)) {
                return;
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            // falls through to the error: the key cannot sign for this certificate
        }
        throw new IllegalArgumentException("--tls-key " + keyFile + " does not belong to --tls-cert " + certFile
                + " (" + cert.getSubjectX500Principal().getName() + ")");
    }
}
