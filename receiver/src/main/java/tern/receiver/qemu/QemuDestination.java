package tern.receiver.qemu;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.stats.Json;

/**
 * The destination QEMU of a guest hand-off, started by the receiver on its image
 * ({@link QemuProcess}). The command given must map the image as the guest's RAM
 * (memory-backend-file, mem-path=IMAGE, share=on). Once the image verified it checks the RAM
 * mapping, turns on x-ignore-shared (RAM is Tern's, QEMU moves only device state) and starts
 * listening at the incoming URI — before the verdict, so the sender's {@code migrate} finds it
 * ready. Then it waits for QEMU's migration to complete and continues the guest.
 */
public final class QemuDestination implements AutoCloseable {
    private final QemuProcess qemu;
    private final Path image;
    private final String incomingUri;
    private final Duration handoffTimeout;

    public QemuDestination(List<String> command, Path image, String incomingUri, Path log, Duration handoffTimeout) {
        this.qemu = new QemuProcess(command, log);
        this.image = image;
        this.incomingUri = incomingUri;
        this.handoffTimeout = handoffTimeout;
    }

    /**
     * Starts QEMU on the image as soon as the image exists (at the hello), so its start-up is not
     * part of the guest's downtime. QEMU maps the file and waits; nothing runs in the guest until
     * the device state came and the guest is continued. Should QEMU ever write into the image, the
     * receiver's verification sees the pages change behind it and has them resent (invariant 3).
     */
    public void launch() throws IOException {
        qemu.launch();
    }

    /** Once the image verified: checks QEMU maps it as shared RAM and has it listen for the device state. */
    public void listen() throws IOException, InterruptedException {
        if (!qemu.launched()) {
            qemu.launch();
        }
        QmpClient qmp = qemu.qmp();
        QemuMigration.requireSharedRam(qmp, image);
        QemuMigration.setCapabilities(qmp, true, "x-ignore-shared", "events");
        qmp.execute("migrate-incoming", Json.object().put("uri", incomingUri));
    }

    /** A guest running on the destination: QEMU's pid and its own timestamp of the RESUME (null if none came). */
    public record Running(long pid, Long resumedEpochMicros) {
    }

    /** Waits for the device state to arrive, then continues the guest. */
    public Running awaitHandOffAndContinue() throws IOException, InterruptedException {
        QemuMigration.awaitIncoming(qemu.qmp(), handoffTimeout, "the device state from " + incomingUri);
        // marked before cont, as a source is marked paused before its pause: a cont that fails
        // half-way must not be answered by killing a guest that may run
        qemu.continued();
        return new Running(qemu.pid(), QemuMigration.continueGuest(qemu.qmp()));
    }

    /** Closes the QMP connection; a QEMU whose guest was not continued here is ended. */
    @Override
    public void close() throws IOException {
        qemu.close();
    }
}
