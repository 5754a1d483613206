package tern.common.net;

import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The operating system's reason behind a failed connect or bind, in a few words a person can act
 * on. gRPC and netty wrap it ("io exception", "Failed to bind to address"), and netty's native
 * transport gives only errno text ("bind(..) failed with error(-98): Address already in use"), so
 * the reason is found by walking the causes for the exception's type or its errno text.
 */
public final class SocketErrors {
    private SocketErrors() {
    }

    /** The reason behind {@code t}, or null when none of its causes is a socket error this knows. */
    public static String reason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UnknownHostException) {
                return "unknown host " + hostOf(c.getMessage());
            }
            String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
            if (m.contains("connection refused")) {
                return "connection refused (nothing listens on that port)";
            }
            if (c instanceof NoRouteToHostException || m.contains("no route to host")) {
                return "no route to host";
            }
            if (m.contains("network is unreachable")) {
                return "network unreachable";
            }
            if (m.contains("connection timed out")) {
                return "connection timed out (no answer: the host is down, or a firewall drops the packets)";
            }
            if (m.contains("connection reset")) {
                return "connection reset by the peer";
            }
            if (m.contains("address already in use")) {
                return "address already in use (another process listens on that port)";
            }
            if (m.contains("cannot assign requested address")) {
                return "no such local address (cannot assign requested address)";
            }
            if ((c instanceof BindException || c instanceof ConnectException) && m.contains("permission denied")) {
                return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
            }
        }
        return null;
    }

    /** "nosuch.example: Name or service not known" -> "nosuch.example". */
    private static String hostOf(String message) {
        if (message == null) {
            return "(unnamed)";
        }
        int colon = message.indexOf(':');
        return colon > 0 ? message.substring(0, colon) : message;
    }
}
