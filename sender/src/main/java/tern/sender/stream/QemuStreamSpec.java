package tern.sender.stream;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tern.sender.source.SpecOptions;

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
    private static final Set<String> KEYS = new LinkedHashSet<>(List.of("qmp", "listen"));

    public static QemuStreamSpec parse(String spec) {
        if (!spec.startsWith(PREFIX)) {
            throw new IllegalArgumentException("--source " + spec + ": expected " + PREFIX + "qmp=SOCKET[,listen=URI]");
        }
        Map<String, String> o = SpecOptions.parse(spec, spec.substring(PREFIX.length()).split(","), 0, KEYS);
        Path qmp = o.containsKey("qmp") ? Path.of(o.get("qmp")) : null;
        String listen = o.containsKey("listen") ? checkListen(spec, o.get("listen")) : null;
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
