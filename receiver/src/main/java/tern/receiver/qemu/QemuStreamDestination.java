package tern.receiver.qemu;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tern.common.qemu.stream.RamBlock;
import tern.common.qemu.stream.RamLayout;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.StreamMigration;
import tern.common.qmp.StreamPreflight;
import tern.common.stats.Json;
import tern.proto.QemuStreamHello;
import tern.receiver.stream.StreamDestination;

/**
 * The destination QEMU of a relayed QEMU stream, one per migration, started at the hello from the
 * command given after {@code --} ({@link QemuProcess}: {@code -S -incoming defer} and a QMP socket
 * of the receiver's own). Before the hello is accepted it must pass the stream preflight (the
 * capabilities the relay cannot carry are off here too), run the machine type the source's
 * stream names and have the RAM it lists; then it listens ({@code migrate-incoming}) on a unix
 * socket in its private directory, and the receiver connects to it. No image file: QEMU's own
 * RAM is the target.
 */
public final class QemuStreamDestination implements StreamDestination {
    private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(10);
    private final List<String> command;
    private final Path log;

    public QemuStreamDestination(List<String> command, Path log) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("--qemu-stream needs the destination QEMU's command line after --");
        }
        this.command = List.copyOf(command);
        this.log = log;
    }

    @Override
    public Connection open(QemuStreamHello hello, RamLayout layout) throws IOException, InterruptedException {
        QemuProcess qemu = new QemuProcess(command, log);
        try {
            qemu.launch();
            QmpClient qmp = qemu.qmp();
            StreamPreflight.check(qmp);
            requireMachine(qmp, hello.getMachineType());
            requireRam(qmp, layout);
            Path socket = qemu.privatePath("incoming.sock");
            StreamMigration.listen(qmp, "unix:" + socket);
            return new QemuConnection(qemu, qmp, connect(qemu, socket));
        } catch (IOException | InterruptedException | RuntimeException e) {
            qemu.close();
            throw e;
        }
    }

    /** QEMU's configuration section names the source's machine type; a destination of another refuses the stream. */
    static void requireMachine(QmpClient qmp, String machine) throws IOException, InterruptedException {
        if (machine.isEmpty()) {
            return;
        }
        String type = String.valueOf(qmp.execute("qom-get", Json.object().put("path", "/machine").put("property", "type")));
        if (!type.equals(machine + "-machine")) {
            throw new IOException("the destination QEMU runs machine " + type.replaceAll("-machine$", "") + "; the source's"
                    + " stream is for " + machine + " (give the destination -machine " + machine + ")");
        }
    }

    /** The guest's main RAM block must have the size the source's setup record lists, or QEMU's load fails at its first record. */
    @SuppressWarnings("unchecked")
    static void requireRam(QmpClient qmp, RamLayout layout) throws IOException, InterruptedException {
        for (RamBlock b : layout.blocks()) {
            if (b.idstr().equals("pc.ram")) {
                Map<String, Object> m = (Map<String, Object>) qmp.execute("query-memory-size-summary");
                if (m.get("base-memory") instanceof Number n && n.longValue() != b.usedBytes()) {
                    throw new IOException("the destination QEMU has " + n.longValue() / 1024 + " KiB of RAM; the source's"
                            + " has " + b.usedBytes() / 1024 + " KiB (give the destination -m " + b.usedBytes() / 1024 + "K)");
                }
            }
        }
    }

    /** migrate-incoming can return before QEMU's socket exists; it is there once QEMU listens. */
    private static SocketChannel connect(QemuProcess qemu, Path socket) throws IOException, InterruptedException {
        return connect(socket, qemu::isAlive, qemu::tail);
    }

    /**
     * Connects to a QEMU's incoming unix socket once it exists, waiting up to {@link #LISTEN_TIMEOUT}
     * while {@code alive}; {@code why} says more when it does not come.
     */
    static SocketChannel connect(Path socket, java.util.function.BooleanSupplier alive,
                                 java.util.function.Supplier<String> why) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + LISTEN_TIMEOUT.toNanos();
        while (true) {
            if (Files.exists(socket)) {
                try {
                    return SocketChannel.open(UnixDomainSocketAddress.of(socket));
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("cannot connect to the destination QEMU's incoming socket " + socket + ": "
                                + e.getMessage());
                    }
                }
            } else if (!alive.getAsBoolean() || System.nanoTime() > deadline) {
                throw new IOException("the destination QEMU did not listen at " + socket + " within "
                        + LISTEN_TIMEOUT.toSeconds() + " s: " + why.get());
            }
            // QEMU creates the socket from its main loop and signals nothing we could wait on
            Thread.sleep(5);
        }
    }

    private static final class QemuConnection implements Connection {
        private final QemuProcess qemu;
        private final QmpClient qmp;
        private final SocketChannel socket;

        QemuConnection(QemuProcess qemu, QmpClient qmp, SocketChannel socket) {
            this.qemu = qemu;
            this.qmp = qmp;
            this.socket = socket;
        }

        @Override
        public WritableByteChannel stream() {
            return socket;
        }

        @Override
        public void endOfStream() throws IOException {
            socket.shutdownOutput();
        }

        @Override
        public Running awaitLoadedAndContinue(Duration timeout) throws IOException, InterruptedException {
            QemuMigration.awaitIncoming(qmp, timeout, "the stream");
            // marked before cont: a cont that fails half-way must not be answered by ending a guest that may run
            qemu.continued();
            return new Running(qemu.pid(), QemuMigration.continueGuest(qmp));
        }

        @Override
        public String describe() {
            if (!qemu.isAlive()) {
                return "it exited: " + qemu.tail();
            }
            try {
                Map<String, Object> m = QemuMigration.queryMigrate(qmp);
                return "its migration is " + m.get("status") + (m.get("error-desc") != null ? ": " + m.get("error-desc") : "")
                        + "; " + qemu.tail();
            } catch (IOException e) {
                return "its QMP failed (" + e.getMessage() + "); " + qemu.tail();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return qemu.tail();
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // the destination is ended below, or runs on with its stream complete
            }
            try {
                qemu.close();
            } catch (IOException ignored) {
                // its private directory stays behind; the process is ended
            }
        }
    }
}
