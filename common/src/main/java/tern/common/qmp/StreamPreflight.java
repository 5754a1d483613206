package tern.common.qmp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tern.common.stats.Json;

/**
 * Checks over QMP, before anything moves, that a QEMU's migration is one Tern's stream relay can
 * carry: precopy on one socket, no return path, pages as plain PAGE and ZERO records, no iterable
 * section but "ram" (QEMU-STREAM.md §2, §7). Run on both ends: a destination with a capability the
 * source lacks fails the load too. Every problem is named with QEMU's own name for it, all in one
 * message. The stream parser refuses the same things again if they appear anyway.
 */
public final class StreamPreflight {
    /** Capabilities that must be off, and why the relay cannot carry them. */
    private static final Map<String, String> REFUSED = new LinkedHashMap<>();

    static {
        REFUSED.put("xbzrle", "its records are deltas against QEMU's own cache of sent pages, which Tern cannot digest");
        REFUSED.put("compress", "compressed page records (Tern compresses on its own link instead)");
        REFUSED.put("multifd", "pages would travel on extra connections");
        REFUSED.put("postcopy-ram", "postcopy needs a return path and pages on demand");
        REFUSED.put("postcopy-preempt", "postcopy's second channel");
        REFUSED.put("return-path", "the destination would write back on the migration socket");
        REFUSED.put("switchover-ack", "it needs a return path");
        REFUSED.put("x-colo", "COLO checkpoints keep streaming after the migration");
        REFUSED.put("mapped-ram", "a file format with fixed offsets, not a socket stream");
        REFUSED.put("x-ignore-shared", "shared RAM would be left out of the stream and the setup record changes");
        REFUSED.put("dirty-bitmaps", "block dirty bitmaps travel in an extra iterable section");
        REFUSED.put("block", "block migration is an extra iterable section");
        REFUSED.put("background-snapshot", "a snapshot, not a migration");
    }

    /** What the checks learned: QEMU's version and the migration parameters this QEMU has. */
    public record Report(int major, int minor, int micro, Map<String, Object> parameters) {
        public boolean has(String parameter) {
            return parameters.containsKey(parameter);
        }

        public String version() {
            return major + "." + minor + "." + micro;
        }
    }

    private StreamPreflight() {
    }

    /**
     * Fails, naming everything in the way, unless {@code qmp}'s migration can go through the relay.
     *
     * @throws IOException listing QEMU's capability, parameter or device names and why
     */
    public static Report check(QmpClient qmp) throws IOException, InterruptedException {
        return check(qmp, false);
    }

    /**
     * As {@link #check(QmpClient)}, for a migration someone else just started into Tern's socket
     * (listen=): it is under way, and its capabilities and parameters are the ones checked.
     */
    public static Report checkStarted(QmpClient qmp) throws IOException, InterruptedException {
        return check(qmp, true);
    }

    @SuppressWarnings("unchecked")
    private static Report check(QmpClient qmp, boolean started) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        for (Object o : (List<?>) qmp.execute("query-migrate-capabilities")) {
            Map<?, ?> c = (Map<?, ?>) o;
            String name = String.valueOf(c.get("capability"));
            if (Boolean.TRUE.equals(c.get("state")) && REFUSED.containsKey(name)) {
                problems.add("capability " + name + " is on (" + REFUSED.get(name) + ")");
            }
        }
        Map<String, Object> params = (Map<String, Object>) qmp.execute("query-migrate-parameters");
        Object tls = params.get("tls-creds");
        if (tls != null && !tls.toString().isEmpty()) {
            problems.add("parameter tls-creds is '" + tls + "' (QEMU's TLS would encrypt the stream Tern reads;"
                    + " Tern's own mutual TLS protects the link)");
        }
        Object mode = params.get("mode");
        if (mode != null && !"normal".equals(mode)) {
            problems.add("parameter mode is '" + mode + "' (only mode normal sends the RAM in the stream)");
        }
        Map<String, Object> migration = (Map<String, Object>) qmp.execute("query-migrate");
        Object status = migration.get("status");
        if (!started && status != null && !List.of("none", "completed", "failed", "cancelled").contains(status.toString())) {
            problems.add("a migration is already under way (status " + status + ")");
        }
        problems.addAll(devicesInTheWay(qmp));
        if (!problems.isEmpty()) {
            throw new IOException("QEMU at " + qmp.socket() + ": Tern's stream relay cannot carry this migration: "
                    + String.join("; ", problems));
        }
        Map<String, Object> v = (Map<String, Object>) ((Map<String, Object>) qmp.execute("query-version")).get("qemu");
        return new Report(number(v, "major"), number(v, "minor"), number(v, "micro"), Map.copyOf(params));
    }

    /**
     * Devices whose state is an iterable section (VFIO) or travels before RAM (virtio-mem's
     * early_setup, 8.1+): QEMU puts user-created devices under /machine/peripheral (with an id)
     * and /machine/peripheral-anon, where their QOM type names them.
     */
    private static List<String> devicesInTheWay(QmpClient qmp) throws IOException, InterruptedException {
        List<String> found = new ArrayList<>();
        for (String container : List.of("/machine/peripheral", "/machine/peripheral-anon")) {
            Object children;
            try {
                children = qmp.execute("qom-list", Json.object().put("path", container));
            } catch (QmpException e) {
                continue; // no such container: no user-created devices there
            }
            for (Object o : (List<?>) children) {
                Map<?, ?> child = (Map<?, ?>) o;
                String type = String.valueOf(child.get("type"));
                if (type.startsWith("child<vfio")) {
                    found.add("device " + child.get("name") + " (" + inner(type) + ") sends VFIO device state, an"
                            + " iterable section");
                } else if (type.startsWith("child<virtio-mem")) {
                    found.add("device " + child.get("name") + " (" + inner(type) + ") sends its state before RAM"
                            + " (early_setup)");
                }
            }
        }
        return found;
    }

    private static String inner(String childType) {
        return childType.substring("child<".length(), childType.length() - 1);
    }

    private static int number(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.intValue() : -1;
    }
}
