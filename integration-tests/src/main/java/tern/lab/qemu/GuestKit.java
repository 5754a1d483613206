package tern.lab.qemu;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tern.common.cli.CliEnum;

/**
 * The test guest (integration-tests/guest: a Debian kernel and a busybox initramfs running
 * tern-writer) and the QEMU command lines that boot it with its RAM in a shared file, as Tern's
 * QEMU integration test and trial use them.
 */
public final class GuestKit {
    /** Where the guest's writer stores and whether its stores change the bytes (writer.c's tern.pattern). */
    public enum Pattern {
        IDLE, RANDOM, SILENT, MIXED;

        /** The names on a command line ({@link CliEnum}). */
        public static final class Names extends CliEnum<Pattern> {
            public Names() {
                super(Pattern.class);
            }
        }
    }

    /** What the guest's writer does: integration-tests/guest/writer.c. */
    public record Workload(Pattern pattern, int ratePagesPerSecond, int mib, double silentFraction, int checkSeconds) {
        String append() {
            return String.format(Locale.ROOT, "console=ttyS0 quiet panic=-1 tern.pattern=%s tern.rate=%d tern.mib=%d"
                    + " tern.silent=%.2f tern.check=%d", CliEnum.name(pattern), ratePagesPerSecond, mib, silentFraction,
                    checkSeconds);
        }
    }

    private final Path kernel;
    private final Path initrd;

    private GuestKit(Path dir) {
        this.kernel = dir.resolve("vmlinuz");
        this.initrd = dir.resolve("initrd.gz");
    }

    /** Builds the kit (or finds it in its cache) with the repository's integration-tests/guest/build.sh. */
    public static GuestKit build(Path ternHome) throws IOException, InterruptedException {
        Path script = ternHome.resolve("integration-tests/guest/build.sh");
        Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || out.isEmpty()) {
            throw new IOException(script + " failed (exit " + p.exitValue() + "): the guest kit needs busybox-static, cpio,"
                    + " gcc, libc6-dev and apt-get");
        }
        Path dir = Path.of(out.substring(out.lastIndexOf('\n') + 1));
        GuestKit kit = new GuestKit(dir);
        if (!Files.isRegularFile(kit.kernel) || !Files.isRegularFile(kit.initrd)) {
            throw new IOException(script + " printed " + dir + ", which holds no vmlinuz and initrd.gz");
        }
        return kit;
    }

    /** A loopback port free now: for QEMU's -incoming, where nothing listens until QEMU is told to. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Whether qemu-system-x86_64 is on the PATH. */
    public static boolean qemuInstalled() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "qemu-system-x86_64"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code cmd} run by another QEMU than the system's when the property {@code tern.qemu} names
     * one (QEMU 10.0 unpacked beside 7.2 by integration-tests/guest/qemu10.sh), with that QEMU's
     * own data files (its ../share/qemu); {@code cmd} itself otherwise.
     */
    public static List<String> onQemu(List<String> cmd) {
        String binary = System.getProperty("tern.qemu");
        if (binary == null || binary.isEmpty()) {
            return cmd;
        }
        List<String> c = new ArrayList<>(cmd);
        c.set(0, binary);
        Path data = Path.of(binary).toAbsolutePath().getParent().resolveSibling("share/qemu");
        if (Files.isDirectory(data)) {
            c.addAll(1, List.of("-L", data.toString()));
        }
        return c;
    }

    /**
     * QEMU booting the guest under TCG (KVM is not available on these machines) with RAM of
     * {@code ramKiB} in {@code ramFile} (share=on; null: ordinary RAM, no memory backend), its
     * serial console connecting to 127.0.0.1:{@code consolePort}, and a QMP socket at {@code qmp}
     * (null: none).
     */
    public List<String> command(long ramKiB, Path ramFile, Workload w, int consolePort, Path qmp) {
        List<String> c = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-smp", "1"));
        if (ramFile == null) {
            c.addAll(List.of("-machine", "pc", "-m", ramKiB + "K"));
        } else {
            c.addAll(List.of("-machine", "pc,memory-backend=ram", "-m", ramKiB + "K",
                    "-object", "memory-backend-file,id=ram,size=" + ramKiB + "K,mem-path=" + ramFile + ",share=on"));
        }
        c.addAll(List.of("-nodefaults", "-no-user-config", "-display", "none",
                "-serial", "tcp:127.0.0.1:" + consolePort,
                "-kernel", kernel.toString(), "-initrd", initrd.toString(), "-append", w.append()));
        if (qmp != null) {
            c.addAll(List.of("-qmp", "unix:" + qmp + ",server=on,wait=off"));
        }
        return c;
    }
}
