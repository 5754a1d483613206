package tern.receiver.qemu;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import tern.common.qemu.stream.RamLayout;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.StreamPreflight;
import tern.proto.QemuStreamHello;
import tern.receiver.stream.StreamDestination;

/**
 * A destination QEMU that someone else started and made listen on a unix socket (by hand with
 * {@code -incoming unix:PATH}, or libvirt's destination side of {@code virsh migrate --migrateuri
 * unix://PATH}): the receiver connects and writes the stream; the root check before the device
 * state still holds (a destination whose RAM differs can never finish loading). With a QMP socket
 * of that QEMU the receiver also checks it against the hello first, waits for its load and
 * continues it, as with a QEMU it started; without one, whoever started it continues it (libvirt
 * does, once QEMU reports the load complete), and the receiver neither ends nor continues it.
 */
public final class ListeningQemuDestination implements StreamDestination {
    private final Path socket;
    private final Path qmpSocket;

    /** @param qmpSocket the destination's QMP socket, or null: continuing it is someone else's */
    public ListeningQemuDestination(Path socket, Path qmpSocket) {
        this.socket = socket;
        this.qmpSocket = qmpSocket;
    }

    @Override
    public Connection open(QemuStreamHello hello, RamLayout layout) throws IOException, InterruptedException {
        QmpClient qmp = qmpSocket == null ? null : QmpClient.connect(qmpSocket, Duration.ofSeconds(10));
        try {
            if (qmp != null) {
                StreamPreflight.check(qmp);
                QemuStreamDestination.requireMachine(qmp, hello.getMachineType());
                QemuStreamDestination.requireRam(qmp, layout);
                QemuMigration.setCapabilities(qmp, true, "events");
            }
            SocketChannel c = QemuStreamDestination.connect(socket, () -> true,
                    () -> "is the destination QEMU started with -incoming unix:" + socket + "?");
            return new Listening(c, qmp);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (qmp != null) {
                qmp.close();
            }
            throw e;
        }
    }

    private final class Listening implements Connection {
        private final SocketChannel channel;
        private final QmpClient qmp;

        Listening(SocketChannel channel, QmpClient qmp) {
            this.channel = channel;
            this.qmp = qmp;
        }

        @Override
        public WritableByteChannel stream() {
            return channel;
        }

        @Override
        public void endOfStream() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public Running awaitLoadedAndContinue(Duration timeout) throws IOException, InterruptedException {
            if (qmp == null) {
                return new Running(0, null); // its starter continues it; its pid is not ours to know
            }
            QemuMigration.awaitIncoming(qmp, timeout, "the stream");
            return new Running(0, QemuMigration.continueGuest(qmp));
        }

        @Override
        public String describe() {
            if (qmp == null) {
                return "the destination QEMU at unix:" + socket + " (its own output says why)";
            }
            try {
                Object status = QemuMigration.queryMigrate(qmp).get("status");
                return "the destination QEMU's migration is " + status;
            } catch (IOException e) {
                return "the destination QEMU's QMP failed: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }

        /** Closes the socket: a QEMU that has not loaded the whole stream fails its load and exits. */
        @Override
        public void close() {
            try {
                channel.close();
                if (qmp != null) {
                    qmp.close();
                }
            } catch (IOException ignored) {
                // nothing more to end: the QEMU is not ours
            }
        }
    }
}
