package tern.sender.stream;

import java.nio.file.Path;

/**
 * {@code --source qemu-stream:qmp=SOCKET[,listen=unix:PATH|tcp:127.0.0.1:PORT]}: a running QEMU
 * whose own migration stream Tern carries, controlled through its QMP unix socket. Without
 * {@code listen} Tern runs {@code migrate} itself, into a private unix socket; with it, Tern
 * listens there and carries the {@code migrate} that someone else issues (a user, libvirt's
 * {@code virsh migrate --migrateuri}), still using QMP to check the migration before anything
 * moves, to follow its events and to govern its switchover.
 */
public record QemuStreamSpec(Path qmpSocket, String listen) {
    public static final String PREFIX = "qemu-stream:";

    public static QemuStreamSpec parse(String spec) {
        if (!spec.startsWith(PREFIX)) {
            throw new IllegalArgumentException("--source " + spec + ": expected " + PREFIX + "qmp=SOCKET[,listen=URI]");
        }
        Path qmp = null;
        String listen = null;
        for (String p : spec.substring(PREFIX.length()).split(",")) {
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            if (value.isEmpty()) {
                throw new IllegalArgumentException("--source " + spec + ": '" + p + "' needs a value (key=value)");
            }
            switch (key) {
                case "qmp" -> qmp = Path.of(value);
                case "listen" -> listen = checkListen(spec, value);
                default -> throw new IllegalArgumentException("--source " + spec + ": unknown key '" + key
                        + "' (expected qmp= or listen=)");
            }
        }
        if (qmp == null) {
            throw new IllegalArgumentException("--source " + spec + ": qmp=SOCKET is required (the guest's QMP unix"
                    + " socket: preflight, events and the switchover go through it)");
        }
        return new QemuStreamSpec(qmp, listen);
    }

    /**
     * unix:PATH, or TCP on loopback only: QEMU's stream is plaintext and unauthenticated, so it
     * must not leave the host before Tern's link protects it.
     */
    private static String checkListen(String spec, String uri) {
        if (uri.startsWith("unix:") && uri.length() > "unix:".length()) {
            return uri;
        }
        if (uri.startsWith("tcp:")) {
            String hostPort = uri.substring(4);
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? "" : hostPort.substring(0, colon);
            if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("[::1]")) {
                throw new IllegalArgumentException("--source " + spec + ": listen=" + uri + " must be on loopback"
                        + " (tcp:127.0.0.1:PORT): QEMU's own stream is plaintext; Tern's link is what crosses the network");
            }
            int port;
            try {
                port = Integer.parseInt(hostPort.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("--source " + spec + ": listen=" + uri + " needs a port in 1..65535");
            }
            return uri;
        }
        throw new IllegalArgumentException("--source " + spec + ": listen=" + uri + ": expected unix:PATH or tcp:127.0.0.1:PORT");
    }
}
