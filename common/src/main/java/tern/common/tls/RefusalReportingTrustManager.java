package tern.common.tls;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import tern.common.wire.PeerText;

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
        reporting(chain, () -> ca.checkClientTrusted(chain, authType, engine));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        reporting(chain, () -> ca.checkClientTrusted(chain, authType, socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        reporting(chain, () -> ca.checkClientTrusted(chain, authType));
    }

    /** One of the JDK's client checks, whichever overload the handshake calls. */
    private interface ClientCheck {
        void run() throws CertificateException;
    }

    private void reporting(X509Certificate[] chain, ClientCheck check) throws CertificateException {
        try {
            check.run();
        } catch (CertificateException e) {
            throw report(chain, e);
        }
    }

    private CertificateException report(X509Certificate[] chain, CertificateException e) {
        // the names are the peer's: escaped before they reach a log line (PeerText)
        String who = chain == null || chain.length == 0 ? "(no certificate)"
                : "'" + PeerText.clean(chain[0].getSubjectX500Principal().getName(), 200) + "' issued by '"
                        + PeerText.clean(chain[0].getIssuerX500Principal().getName(), 200) + "'";
        String problem = TlsFailures.clientCertificateProblem(e);
        refused.accept("refused client certificate " + who + ": "
                + (problem != null ? problem : "not accepted against --tls-ca (" + PeerText.clean(e.getMessage(), 400) + ")"));
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
