package tern.common.tls;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The transport-security options both tools take (a picocli mixin): mutual TLS from three PEM
 * files, or plaintext, which is allowed without asking only on loopback.
 */
public final class TlsOptions {
    @Option(names = "--tls-cert", paramLabel = "PEM", description = "This side's certificate (chain), PEM.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "The certificate's private key, PKCS#8 PEM.")
    Path key;

    @Option(names = "--tls-ca", paramLabel = "PEM",
            description = "The CA that must have signed the peer's certificate (mutual TLS), PEM.")
    Path ca;

    @Option(names = "--insecure", description = "Allow plaintext on an address other than loopback.")
    boolean insecure;

    /**
     * The checked TLS files, or null for plaintext. {@code host} is the address this side listens
     * on or connects to, {@code option} the option that gave it; plaintext there needs --insecure
     * unless every address it resolves to is loopback.
     */
    public TlsFiles resolve(String host, String option) {
        if (cert == null && key == null && ca == null) {
            if (!insecure && !isLoopback(host)) {
                throw new IllegalArgumentException(option + " " + host + " is not a loopback address: give --tls-cert,"
                        + " --tls-key and --tls-ca for mutual TLS, or --insecure to send memory in plaintext");
            }
            return null;
        }
        if (cert == null || key == null || ca == null) {
            java.util.List<String> missing = new java.util.ArrayList<>();
            if (cert == null) {
                missing.add("--tls-cert");
            }
            if (key == null) {
                missing.add("--tls-key");
            }
            if (ca == null) {
                missing.add("--tls-ca");
            }
            throw new IllegalArgumentException("mutual TLS needs all of --tls-cert, --tls-key and --tls-ca; missing "
                    + String.join(", ", missing));
        }
        if (insecure) {
            throw new IllegalArgumentException("--insecure contradicts --tls-cert/--tls-key/--tls-ca: choose one");
        }
        return TlsFiles.load(cert, key, ca);
    }

    /** True when any TLS option or --insecure was given. */
    public boolean anyGiven() {
        return cert != null || key != null || ca != null || insecure;
    }

    /** Loopback means every address the name resolves to is loopback; the wildcard address is not. */
    static boolean isLoopback(String host) {
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
