package tern.common.tls;

import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;

/**
 * Why the receiver refused a client certificate, as the operator must fix it: not signed by
 * --tls-ca, expired or not yet valid, or signed but not for TLS client authentication (its key
 * usage). One wording for the trust manager's line and for the handshake watcher's, read from the
 * JDK validator's exceptions anywhere in a cause chain.
 */
public final class ClientCertificateProblem {
    private ClientCertificateProblem() {
    }

    /** The problem {@code t} (or a cause) reports, or null when it names none of these. */
    public static String describe(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException) {
                return "the certificate has expired (" + c.getMessage() + ")";
            }
            if (c instanceof CertificateNotYetValidException) {
                return "the certificate is not valid yet (" + c.getMessage() + ")";
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            String lower = m.toLowerCase(Locale.ROOT);
            if (lower.contains("extended key usage") || lower.contains("keyusage") || lower.contains("key usage")) {
                return "the certificate is signed by --tls-ca but its key usage does not permit TLS client"
                        + " authentication (" + m + ")";
            }
            if (lower.contains("pkix path building failed") || lower.contains("unable to find valid certification path")
                    || lower.contains("signature check failed") || lower.contains("signature does not match")) {
                return "the certificate is not signed by --tls-ca (" + m + ")";
            }
        }
        return null;
    }
}
