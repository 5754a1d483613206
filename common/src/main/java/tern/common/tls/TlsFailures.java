package tern.common.tls;

import java.security.cert.CertificateException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/** Turns a failed TLS handshake, as the sender sees it, into a sentence a person can act on. */
public final class TlsFailures {
    private TlsFailures() {
    }

    /** What went wrong in the handshake behind {@code t}, or null when {@code t} is no TLS failure. */
    public static String describe(Throwable t) {
        // the informative message is often a cause's ("General OpenSslEngine problem" wraps the trust manager's)
        String deepest = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SSLException || c instanceof CertificateException) {
                deepest = c.getMessage() == null ? c.toString() : c.getMessage();
            }
        }
        return deepest == null ? null : describe(deepest);
    }

    static String describe(String m) {
        String l = m.toLowerCase(Locale.ROOT);
        if (l.contains("alert") && (l.contains("bad_certificate") || l.contains("certificate_required")
                || l.contains("unknown_ca") || l.contains("certificate_unknown") || l.contains("access_denied"))) {
            return "TLS handshake failed: the receiver refused this sender's certificate (" + m + "); the receiver"
                    + " accepts only a --tls-cert signed by its --tls-ca";
        }
        if (l.contains("alert") && l.contains("internal_error")) {
            // what BoringSSL sends when the peer's trust manager refused the certificate
            return "TLS handshake failed: the receiver aborted the handshake (" + m + "); it refuses a --tls-cert"
                    + " not signed by its --tls-ca, and its log says why";
        }
        if (l.contains("pkix") || l.contains("subject alternative") || l.contains("no name matching")
                || l.contains("certificate expired") || l.contains("not yet valid")) {
            return "TLS handshake failed: the receiver's certificate is not trusted (" + m + "); it must be signed by"
                    + " this sender's --tls-ca and name the host given to --to";
        }
        if (l.contains("not an ssl/tls record")) {
            return "TLS handshake failed: the receiver does not speak TLS (started without --tls-cert/--tls-key/--tls-ca?)";
        }
        return "TLS handshake failed: " + m;
    }
}
