package tern.sender.source;

import java.nio.file.Path;

/**
 * {@code --source qemu:RAMFILE,qmp=SOCKET[,handoff=URI]}: a running QEMU guest whose RAM is
 * RAMFILE (memory-backend-file, share=on), controlled through its QMP unix socket; with handoff,
 * the device state follows Tern's pages to the destination QEMU listening at URI (QEMU's own
 * migration URI, e.g. tcp:10.0.0.2:4444).
 */
public record QemuSourceSpec(Path ramFile, Path qmpSocket, String handoffUri) {
    public static final String PREFIX = "qemu:";

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
        Path qmp = null;
        String handoff = null;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            if (value.isEmpty()) {
                throw new IllegalArgumentException("--source " + spec + ": '" + p + "' needs a value (key=value)");
            }
            switch (key) {
                case "qmp" -> qmp = Path.of(value);
                case "handoff" -> handoff = value;
                default -> throw new IllegalArgumentException("--source " + spec + ": unknown key '" + key
                        + "' (expected qmp= or handoff=)");
            }
        }
        if (qmp == null) {
            throw new IllegalArgumentException("--source " + spec + ": qmp=SOCKET is required (the guest's QMP unix socket)");
        }
        return new QemuSourceSpec(Path.of(parts[0]), qmp, handoff);
    }
}
