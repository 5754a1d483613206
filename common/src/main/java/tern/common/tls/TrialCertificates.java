package tern.common.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away CA and the receiver's and sender's certificates for trials: EC P-256 keys written
 * as PKCS#8 PEM (what gRPC's netty accepts), certificates with the hosts as subject alternative
 * names (DNS names and IP addresses). Each certificate carries only the usage its side needs: the
 * receiver's TLS server authentication, the sender's TLS client authentication. The CA's private
 * key is never written: it lives in this object only, so once the files are written nothing can
 * sign another certificate with this CA (make a new set instead).
 */
public final class TrialCertificates {
    private static final Pattern IP = Pattern.compile("[0-9.]+|.*:.*");
    private final SecureRandom random = new SecureRandom();
    private final Duration validity;
    private KeyPair caKeys;
    private X500Principal caName;
    private X509Certificate ca;

    /** The side a certificate is for, and the one extended key usage it gets. */
    public enum Role {
        RECEIVER(KeyPurposeId.id_kp_serverAuth), SENDER(KeyPurposeId.id_kp_clientAuth);

        private final KeyPurposeId usage;

        Role(KeyPurposeId usage) {
            this.usage = usage;
        }

        String fileName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public TrialCertificates(Duration validity) {
        this.validity = validity;
    }

    /** Writes ca.pem, receiver.pem, receiver-key.pem, sender.pem and sender-key.pem into {@code dir}; not the CA's key. */
    public List<Path> write(Path dir, List<String> hosts) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        for (String f : List.of("ca.pem", "receiver.pem", "receiver-key.pem", "sender.pem", "sender-key.pem")) {
            if (Files.exists(dir.resolve(f))) {
                throw new IllegalArgumentException("--out " + dir + " already holds " + f + "; choose an empty directory");
            }
        }
        List<Path> written = new ArrayList<>();
        written.add(writePem(dir.resolve("ca.pem"), "CERTIFICATE", ca().getEncoded(), false));
        Instant now = Instant.now();
        for (Role role : Role.values()) {
            written.addAll(issue(dir, role.fileName(), hosts, role, now.minus(Duration.ofHours(1)), now.plus(validity)));
        }
        return written;
    }

    /**
     * A certificate of this CA for {@code role}, valid from {@code notBefore} to {@code notAfter},
     * written as NAME.pem and NAME-key.pem: what {@link #write} writes, and for tests the ones a
     * side must refuse (expired, or made for the other side).
     */
    public List<Path> issue(Path dir, String name, List<String> hosts, Role role, Instant notBefore, Instant notAfter)
            throws IOException, GeneralSecurityException {
        Set<String> names = new LinkedHashSet<>(hosts);
        names.addAll(List.of("localhost", "127.0.0.1", "::1"));
        ca();
        KeyPair keys = keyPair();
        X509Certificate c = sign(new X500Principal("CN=tern-" + name), keys, caName, caKeys, names, role, notBefore, notAfter);
        return List.of(writePem(dir.resolve(name + ".pem"), "CERTIFICATE", c.getEncoded(), false),
                writePem(dir.resolve(name + "-key.pem"), "PRIVATE KEY", keys.getPrivate().getEncoded(), true));
    }

    private X509Certificate ca() throws GeneralSecurityException, IOException {
        if (ca == null) {
            caKeys = keyPair();
            caName = new X500Principal("CN=Tern trial CA " + Long.toHexString(random.nextLong()));
            Instant now = Instant.now();
            ca = sign(caName, caKeys, caName, caKeys, null, null, now.minus(Duration.ofHours(1)), now.plus(validity));
        }
        return ca;
    }

    private KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        return g.generateKeyPair();
    }

    /** With {@code role} null: the CA's own certificate. */
    private X509Certificate sign(X500Principal subject, KeyPair subjectKeys, X500Principal issuer, KeyPair issuerKeys,
                                 Set<String> hosts, Role role, Instant notBefore, Instant notAfter)
            throws GeneralSecurityException, IOException {
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(64, random).add(BigInteger.ONE),
                Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        try {
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
            if (role == null) {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(role.usage));
                List<GeneralName> san = new ArrayList<>();
                for (String h : hosts) {
                    san.add(isIpLiteral(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
                }
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(new GeneralName[0])));
            }
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
        } catch (CertIOException | OperatorCreationException e) {
            throw new GeneralSecurityException("cannot build certificate for " + subject + ": " + e.getMessage(), e);
        }
    }

    static boolean isIpLiteral(String host) {
        if (!IP.matcher(host).matches()) {
            return false;
        }
        try {
            InetAddress.getByName(host); // a literal never triggers a lookup
            return true;
        } catch (IOException e) {
            throw new IllegalArgumentException("--hosts: '" + host + "' is no valid IP address");
        }
    }

    private static Path writePem(Path file, String type, byte[] der, boolean secret) throws IOException {
        String pem = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
        if (secret) {
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: the file keeps its default permissions
            }
        }
        return file;
    }
}
