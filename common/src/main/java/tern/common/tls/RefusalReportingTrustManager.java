package tern.common.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The receiver's check of a client certificate against --tls-ca, saying whom it refused: the
 * handshake's own error reaches only the client, so without this the receiver would refuse
 * silently. Trust decisions stay the JDK's (PKIX); this only reports them.
 */
final class RefusalReportingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager ca;
    private final Consumer<String> refused;

    RefusalReportingTrustManager(X509ExtendedTrustManager ca, Consumer<String> refused) {
        this.ca = ca;
        this.refused = refused;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        try {
            ca.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw report(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        try {
            ca.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw report(chain, e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            ca.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw report(chain, e);
        }
    }

    private CertificateException report(X509Certificate[] chain, CertificateException e) {
        String who = chain == null || chain.length == 0 ? "(no certificate)"
                : "'" + chain[0].getSubjectX500Principal().getName() + "' issued by '"
                        + chain[0].getIssuerX500Principal().getName() + "'";
        refused.accept("refused client certificate " + who + ": " + TlsFailures.clientCertificate(e));
        return e;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        ca.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        ca.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        ca.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
    }
}
