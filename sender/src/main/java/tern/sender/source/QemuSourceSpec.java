package tern.sender.source;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --source qemu:RAMFILE,qmp=SOCKET[,handoff=URI]}: a running QEMU guest whose RAM is
 * RAMFILE (memory-backend-file, share=on), controlled through its QMP unix socket; with handoff,
 * the device state follows Tern's pages to the destination QEMU listening at URI (QEMU's own
 * migration URI, e.g. tcp:10.0.0.2:4444).
 */
public record QemuSourceSpec(Path ramFile, Path qmpSocket, String handoffUri) {
    public static final String PREFIX = "qemu:";
    private static final Set<String> KEYS = new LinkedHashSet<>(List.of("qmp", "handoff"));

    /** Whether a --source value names a QEMU guest (qemu:...). */
    public static boolean isQemu(String spec) {
        return spec.startsWith(PREFIX);
    }

    public static QemuSourceSpec parse(String spec) {
        if (!spec.startsWith(PREFIX)) {
            throw new IllegalArgumentException("--source " + spec + ": expected qemu:RAMFILE,qmp=SOCKET[,handoff=URI]");
        }
        String[] parts = spec.substring(PREFIX.length()).split(",");
        if (parts[0].isEmpty()) {
            throw new IllegalArgumentException("--source " + spec + ": no RAM file before the first ','");
        }
        Map<String, String> o = SpecOptions.parse(spec, parts, 1, KEYS);
        Path qmp = o.containsKey("qmp") ? Path.of(o.get("qmp")) : null;
        String handoff = o.get("handoff");
        if (qmp == null) {
            throw new IllegalArgumentException("--source " + spec + ": qmp=SOCKET is required (the guest's QMP unix socket)");
        }
        return new QemuSourceSpec(Path.of(parts[0]), qmp, handoff);
    }
}
