package tern.receiver.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.QmpEvent;
import tern.common.stats.Json;

/**
 * The destination QEMU of a guest hand-off, started by the receiver on its image.
 * The command given must map the image as the guest's RAM (memory-backend-file, mem-path=IMAGE,
 * share=on); the receiver adds {@code -S -incoming defer} and a QMP socket of its own. Once the
 * image verified it checks the RAM mapping, turns on x-ignore-shared (RAM is Tern's, QEMU moves
 * only device state) and starts listening at the incoming URI — before the verdict, so the
 * sender's {@code migrate} finds it ready. Then it waits for QEMU's migration to complete and
 * continues the guest.
 */
public final class QemuDestination implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private final List<String> command;
    private final Path image;
    private final String incomingUri;
    private final Path log;
    private final Duration handoffTimeout;
    private Process process;
    private QmpClient qmp;
    private Path qmpDir;
    private boolean running;

    public QemuDestination(List<String> command, Path image, String incomingUri, Path log, Duration handoffTimeout) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("no destination QEMU command after --");
        }
        this.command = List.copyOf(command);
        this.image = image;
        this.incomingUri = incomingUri;
        this.log = log;
        this.handoffTimeout = handoffTimeout;
    }

    /**
     * Starts QEMU on the image as soon as the image exists (at the hello), so its start-up is not
     * part of the guest's downtime. QEMU maps the file and waits; nothing runs in the guest until
     * the device state came and the guest is continued. Should QEMU ever write into the image, the
     * receiver's verification sees the pages change behind it and has them resent (invariant 3).
     */
    public void launch() throws IOException {
        qmpDir = Files.createTempDirectory("tern-qemu-");
        List<String> cmd = new ArrayList<>(command);
        cmd.addAll(List.of("-S", "-incoming", "defer", "-qmp", "unix:" + qmpDir.resolve("qmp.sock") + ",server=on,wait=off"));
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Once the image verified: checks QEMU maps it as shared RAM and has it listen for the device state. */
    public void listen() throws IOException, InterruptedException {
        if (process == null) {
            launch();
        }
        qmp = connect(qmpDir.resolve("qmp.sock"));
        QemuMigration.requireSharedRam(qmp, image);
        QemuMigration.setCapabilities(qmp, true, "x-ignore-shared", "events");
        qmp.execute("migrate-incoming", Json.object().put("uri", incomingUri));
    }

    private QmpClient connect(Path socket) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (true) {
            try {
                return QmpClient.connect(socket, Duration.ofSeconds(1));
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

    /** The last lines QEMU printed (its own error, when it refused the command line). */
    private String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size())) + " (log " + log + ")";
    }

    /** A guest running on the destination: QEMU's pid and its own timestamp of the RESUME (null if none came). */
    public record Running(long pid, Long resumedEpochMicros) {
    }

    /** Waits for the device state to arrive, then continues the guest. */
    public Running awaitHandOffAndContinue() throws IOException, InterruptedException {
        QemuMigration.Outcome o = QemuMigration.awaitEnd(qmp, handoffTimeout);
        if (!o.completed()) {
            throw new IOException("device state did not arrive at " + incomingUri + ": "
                    + (o.status() == null ? "nothing within " + handoffTimeout.toSeconds() + " s" : o.status())
                    + (o.error() != null ? ": " + o.error() : ""));
        }
        qmp.execute("cont");
        running = true;
        QmpEvent resume = qmp.awaitEvent(e -> e.name().equals("RESUME"), Duration.ofSeconds(5));
        return new Running(process.pid(), resume == null ? null : resume.epochMicros());
    }

    /** Closes the QMP connection; a QEMU whose guest was not continued here is ended. */
    @Override
    public void close() throws IOException {
        if (qmp != null) {
            qmp.close();
        }
        if (process != null && !running) {
            process.destroy();
        }
        if (qmpDir != null) {
            Files.deleteIfExists(qmpDir.resolve("qmp.sock"));
            Files.deleteIfExists(qmpDir);
        }
    }
}
