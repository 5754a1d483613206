package tern.receiver.cli;

import io.grpc.ServerCredentials;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.function.Consumer;
import tern.common.log.Log;
import tern.common.tls.TlsFiles;
import tern.common.units.ByteSize;
import tern.proto.Hello;
import tern.receiver.qemu.ListeningQemuDestination;
import tern.receiver.qemu.QemuStreamDestination;
import tern.receiver.report.ReceiverStats;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.server.ServerLimits;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;
import tern.receiver.stream.StreamDestination;

/**
 * tern-receiver's {@code --qemu-stream} path: one relayed QEMU migration into a destination QEMU
 * this receiver starts at the hello ({@link QemuStreamDestination}), or one already listening
 * ({@link ListeningQemuDestination}, --qemu-stream-to); no image. It exits 0 once the destination
 * has the whole stream and (when the receiver can tell) its guest runs, leaving QEMU running; 1 when
 * the migration failed (a destination it started was ended).
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
        if (m.discardResume) {
            throw new IllegalArgumentException("--discard-resume deletes the resume file next to an --image; --qemu-stream"
                    + " keeps no resume file (a stream migration is held in memory for --resume-timeout only)");
        }
        if (m.keepServing) {
            throw new IllegalArgumentException("--qemu-stream hands one guest over: it does not go with --keep-serving");
        }
        if (m.qemuStreamTo != null) {
            if (!m.qemuStreamTo.startsWith("unix:") || m.qemuStreamTo.length() == 5) {
                throw new IllegalArgumentException("--qemu-stream-to " + m.qemuStreamTo + ": expected unix:PATH");
            }
            if (!m.qemuCommand.isEmpty()) {
                throw new IllegalArgumentException("--qemu-stream-to writes into a QEMU that is already listening; a QEMU"
                        + " command after -- would start another");
            }
            return;
        }
        if (m.qemuStreamQmp != null) {
            throw new IllegalArgumentException("--qemu-stream-qmp goes with --qemu-stream-to (a QEMU the receiver starts"
                    + " has a QMP socket of the receiver's own)");
        }
        if (m.qemuCommand.isEmpty()) {
            throw new IllegalArgumentException("--qemu-stream needs the destination QEMU's command line after --"
                    + " (or --qemu-stream-to unix:PATH)");
        }
    }

    private StreamDestination destination(Path log) {
        if (main.qemuStreamTo != null) {
            return new ListeningQemuDestination(Path.of(main.qemuStreamTo.substring(5)), main.qemuStreamQmp);
        }
        return new QemuStreamDestination(main.qemuCommand, log);
    }

    int run(TlsFiles tlsFiles, ServerCredentials credentials, Consumer<String> refusals) throws Exception {
        Path log = (main.qemuLog != null ? main.qemuLog : Path.of(DEFAULT_LOG)).toAbsolutePath();
        ReceiverConfig config = new ReceiverConfig((int) main.maxMessage, main.window,
                main.maxImage, main.resumeTimeout)
                .withStreams(destination(log), main.handoffTimeout);
        ResumeLines progress = new ResumeLines() {
            @Override
            public void started(Hello h) {
                System.out.println("migration " + h.getMigrationId() + ": QEMU stream of " + h.getQemuStream().getMachineType()
                        + " with " + ByteSize.format(h.getPageCount() * h.getPageSize()) + " of RAM in "
                        + h.getQemuStream().getBlocksCount() + " blocks (QEMU " + h.getQemuStream().getQemuVersion()
                        + " at the source), digest " + h.getDigest().name().toLowerCase() + "; destination QEMU "
                        + (main.qemuStreamTo != null ? "at " + main.qemuStreamTo : "listening (log " + log + ")"));
                System.out.flush();
            }

            @Override
            public void handedOver(long pid, Long resumedEpochMicros) {
                if (pid != 0) {
                    handedOver = ResumeLines.handedOverLine(pid, resumedEpochMicros);
                } else if (main.qemuStreamQmp != null) {
                    handedOver = "guest handed over: destination QEMU at " + main.qemuStreamTo + " running"
                            + (resumedEpochMicros != null ? " (RESUME at " + resumedEpochMicros + " us since the epoch)" : "");
                } else {
                    handedOver = "stream handed over: the destination QEMU at " + main.qemuStreamTo + " has all of it;"
                            + " whoever started it continues it";
                }
            }
        };
        ReceiverStats figures = main.stats == null ? null : ReceiverStats.create(main.stats);
        SessionListener listener = figures == null ? progress : SessionListener.both(progress, figures);
        InetSocketAddress bind = new InetSocketAddress(main.listen.getHostString(), main.listen.getPort());
        try (figures; ReceiverServer server = ReceiverServer.start(bind, null, config,
                new ServerLimits(main.maxConnections, main.helloTimeout, main.idleTimeout), listener, null, credentials,
                refusals)) {
            if (figures != null) {
                figures.countBytes(server::bytesReceived);
            }
            System.out.println("listening on " + server.address().getAddress().getHostAddress() + ":" + server.port());
            System.out.println(main.qemuStreamTo != null ? "QEMU streams go to the destination QEMU listening at " + main.qemuStreamTo
                    : "QEMU streams go to a destination QEMU started from: " + String.join(" ", main.qemuCommand));
            if (tlsFiles != null) {
                System.out.println("mutual TLS: clients must present a certificate signed by " + tlsFiles.ca());
            }
            System.out.flush();
            MigrationOutcome o = server.awaitOutcome();
            if (figures != null) {
                figures.outcome(o);
            }
            if (!o.verified()) {
                Log.error("migration " + (o.migrationId() == null ? "(before hello)" : o.migrationId())
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
