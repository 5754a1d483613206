package tern.common.tls;

import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Locale;
import javax.net.ssl.SSLException;

/**
 * A failed TLS handshake as a sentence a person can act on, by kind: a certificate not signed by
 * --tls-ca, one that expired or is not valid yet, one made for the other side (its extended key
 * usage), one that does not name the host, a peer that speaks no TLS, or a peer that refused us.
 * The one place both tools read the JDK's and BoringSSL's messages: the sender for the
 * receiver's certificate and the receiver's alerts ({@link #describe}), the receiver for a
 * client's certificate ({@link #clientCertificate}).
 */
public final class TlsFailures {
    private TlsFailures() {
    }

    /**
     * What went wrong in the sender's handshake behind {@code t}, without the leading "TLS
     * handshake ... failed: ", or null when {@code t} is no TLS failure.
     */
    public static String describe(Throwable t) {
        // the informative message is often a cause's ("General OpenSslEngine problem" wraps the trust manager's)
        String deepest = null;
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException || c instanceof CertificateNotYetValidException) {
                return "the receiver's certificate " + validity(c) + "; renew it (bin/tern-certs makes a new set)";
            }
            if (c instanceof SSLException || c instanceof CertificateException) {
                deepest = c.getMessage() == null ? c.toString() : c.getMessage();
            }
        }
        return deepest == null ? null : describe(deepest);
    }

    static String describe(String m) {
        String l = m.toLowerCase(Locale.ROOT);
        // internal_error: what BoringSSL sends when the peer's trust manager refused the certificate
        if (l.contains("alert") && (l.contains("bad_certificate") || l.contains("certificate_required")
                || l.contains("unknown_ca") || l.contains("certificate_unknown") || l.contains("access_denied")
                || l.contains("certificate_expired") || l.contains("unsupported_certificate")
                || l.contains("internal_error"))) {
            return "the receiver refused this sender's certificate (" + m + "); it accepts only a --tls-cert signed by"
                    + " its --tls-ca, valid now and made for TLS client authentication, and its log says which";
        }
        if (l.contains("extended key usage") || l.contains("extkeyusage") || l.contains("keyusage")) {
            return "the receiver's certificate is not made for TLS server authentication (" + m + "): its key usage"
                    + " allows another purpose (a sender's certificate?); give it the receiver's (bin/tern-certs:"
                    + " receiver.pem)";
        }
        if (l.contains("subject alternative") || l.contains("no name matching")) {
            return "the receiver's certificate does not name the host given to --to (" + m + "); connect by a name or"
                    + " address the certificate lists, or make one that lists it (bin/tern-certs --hosts)";
        }
        if (l.contains("certificate expired") || l.contains("not yet valid") || l.contains("validity check failed")) {
            return "the receiver's certificate is outside its validity (" + m + "); renew it";
        }
        if (l.contains("pkix") || l.contains("certification path")) {
            return "the receiver's certificate is not signed by this sender's --tls-ca (" + m + ")";
        }
        if (l.contains("not an ssl/tls record")) {
            return "the receiver does not speak TLS (started without --tls-cert/--tls-key/--tls-ca?)";
        }
        return m;
    }

    /**
     * Why the receiver refused a client's certificate, from its trust manager's {@code e}: expired,
     * not valid yet, made for the other side, or not signed by --tls-ca.
     */
    public static String clientCertificate(CertificateException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof CertificateExpiredException || c instanceof CertificateNotYetValidException) {
                return validity(c);
            }
        }
        String m = String.valueOf(e.getMessage());
        String l = m.toLowerCase(Locale.ROOT);
        if (l.contains("extended key usage") || l.contains("keyusage") || l.contains("key usage")) {
            return "not made for TLS client authentication (" + m + "): a receiver's certificate? the sender needs its"
                    + " own (bin/tern-certs: sender.pem)";
        }
        return "not signed by --tls-ca (" + m + ")";
    }

    private static String validity(Throwable c) {
        String m = String.valueOf(c.getMessage());
        return c instanceof CertificateExpiredException ? "expired (" + m + ")" : "is not valid yet (" + m + ")";
    }
}
