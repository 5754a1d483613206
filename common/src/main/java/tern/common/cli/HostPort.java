package tern.common.cli;

import java.net.InetSocketAddress;

/** HOST:PORT as given on a command line; [v6]:PORT for IPv6. */
public final class HostPort {
    private HostPort() {
    }

    public static InetSocketAddress parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("not HOST:PORT: '" + text + "' (example: 127.0.0.1:7070)");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port number in '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range in '" + text + "'");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    public static final class Converter implements picocli.CommandLine.ITypeConverter<InetSocketAddress> {
        @Override
        public InetSocketAddress convert(String value) {
            return parse(value);
        }
    }
}
