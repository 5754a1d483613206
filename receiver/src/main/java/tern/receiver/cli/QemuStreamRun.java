package tern.receiver.cli;

import io.grpc.ServerCredentials;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.Consumer;
import tern.common.tls.TlsFiles;
import tern.common.units.ByteSize;
import tern.proto.Hello;
import tern.receiver.qemu.QemuStreamDestination;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;

/**
 * tern-receiver's {@code --qemu-stream} path: one relayed QEMU migration into a destination QEMU
 * this receiver starts at the hello ({@link QemuStreamDestination}), no image. It exits 0 once the
 * destination's guest runs (leaving QEMU running), 1 when the migration failed (the destination
 * QEMU was ended).
 */
final class QemuStreamRun {
    static final String DEFAULT_LOG = "tern-destination-qemu.log";
    private final ReceiverMain main;
    private volatile String handedOver;

    QemuStreamRun(ReceiverMain main) {
        this.main = main;
    }

    /** The options that do not go with --qemu-stream, refused before anything starts. */
    static void check(ReceiverMain m) {
        if (m.image != null || m.overwrite) {
            throw new IllegalArgumentException("--qemu-stream writes no image: the destination QEMU's own RAM is the target"
                    + " (drop --image/--overwrite)");
        }
        if (m.qemuIncoming != null) {
            throw new IllegalArgumentException("--qemu-stream and --qemu-incoming are two ways of moving a guest; choose one");
        }
        if (m.keepServing) {
            throw new IllegalArgumentException("--qemu-stream hands one guest over: it does not go with --keep-serving");
        }
        if (m.qemuCommand.isEmpty()) {
            throw new IllegalArgumentException("--qemu-stream needs the destination QEMU's command line after --");
        }
    }

    int run(TlsFiles tlsFiles, ServerCredentials credentials, Consumer<String> refusals) throws Exception {
        Path log = (main.qemuLog != null ? main.qemuLog : Path.of(DEFAULT_LOG)).toAbsolutePath();
        ReceiverConfig config = new ReceiverConfig((int) main.maxMessage, main.window,
                main.maxImage == null ? Long.MAX_VALUE : main.maxImage, main.resumeTimeout)
                .withStreams(new QemuStreamDestination(main.qemuCommand, log), main.handoffTimeout);
        ResumeLines progress = new ResumeLines() {
            @Override
            public void started(Hello h) {
                System.out.println("migration " + h.getMigrationId() + ": QEMU stream of " + h.getQemuStream().getMachineType()
                        + " with " + ByteSize.format(h.getPageCount() * h.getPageSize()) + " of RAM in "
                        + h.getQemuStream().getBlocksCount() + " blocks (QEMU " + h.getQemuStream().getQemuVersion()
                        + " at the source), digest " + h.getDigest().name().toLowerCase() + "; destination QEMU listening"
                        + " (log " + log + ")");
                System.out.flush();
            }

            @Override
            public void handedOver(long pid, Long resumedEpochMicros) {
                handedOver = ResumeLines.handedOverLine(pid, resumedEpochMicros);
            }
        };
        InetSocketAddress bind = new InetSocketAddress(main.listen.getHostString(), main.listen.getPort());
        try (ReceiverServer server = ReceiverServer.start(bind, null, config, progress, null, credentials, refusals)) {
            System.out.println("listening on " + server.address().getAddress().getHostAddress() + ":" + server.port());
            System.out.println("QEMU streams go to a destination QEMU started from: " + String.join(" ", main.qemuCommand));
            if (tlsFiles != null) {
                System.out.println("mutual TLS: clients must present a certificate signed by " + tlsFiles.ca());
            }
            System.out.flush();
            MigrationOutcome o = server.awaitOutcome();
            if (!o.verified()) {
                System.err.println("tern-receiver: migration " + (o.migrationId() == null ? "(before hello)" : o.migrationId())
                        + " failed: " + o.reason() + "; no destination QEMU runs");
                return 1;
            }
            System.out.println("verified: migration " + o.migrationId() + ", " + o.pagesStored() + " pages written in "
                    + o.batches() + " chunks, root " + o.rootDigest());
            System.out.println(handedOver);
            return 0;
        }
    }
}
