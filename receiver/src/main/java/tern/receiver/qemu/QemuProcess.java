package tern.receiver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tern.common.qmp.QmpClient;

/**
 * A destination QEMU the receiver starts from the command given after {@code --}: it adds
 * {@code -S -incoming defer} (nothing runs in the guest until it is continued, and QEMU waits for
 * {@code migrate-incoming}) and a QMP socket of its own in a private directory. Closing ends a QEMU
 * whose guest was not continued here; one that was ({@link #continued}) outlives the receiver.
 */
public final class QemuProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private final List<String> command;
    private final Path log;
    private Process process;
    private Path dir;
    private QmpClient qmp;
    private boolean continued;

    public QemuProcess(List<String> command, Path log) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no destination QEMU command after --");
        }
        this.command = List.copyOf(command);
        this.log = log;
    }

    /** Starts QEMU, its output appended to the log. */
    public void launch() throws IOException {
        dir = Files.createTempDirectory("tern-qemu-");
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("-S", "-incoming", "defer", "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off"));
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    public boolean launched() {
        return process != null;
    }

    /** A path in this QEMU's private directory (for its incoming socket). */
    public Path privatePath(String name) {
        return dir.resolve(name);
    }

    /** QMP to this QEMU, connected on first use: QEMU answers once it has started. */
    public QmpClient qmp() throws IOException, InterruptedException {
        if (qmp != null) {
            return qmp;
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            try {
                qmp = QmpClient.connect(dir.resolve("qmp.sock"), Duration.ofSeconds(1));
                return qmp;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IOException("destination QEMU exited with status " + process.exitValue() + " before its QMP"
                            + " socket answered: " + tail());
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("destination QEMU's QMP socket did not answer within "
                            + START_TIMEOUT.toSeconds() + " s: " + e.getMessage());
                }
            }
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The guest was continued: this QEMU is the guest now and outlives the receiver. */
    public void continued() {
        continued = true;
    }

    /** The last lines QEMU printed (its own error, when it refused the command line or the stream). */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size())) + " (log " + log + ")";
        } catch (IOException e) {
            return "(log " + log + " unreadable: " + e.getMessage() + ")";
        }
    }

    /** Closes QMP; a QEMU whose guest was not continued is ended. */
    @Override
    public void close() throws IOException {
        if (qmp != null) {
            qmp.close();
        }
        if (process != null && !continued) {
            process.destroy();
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
