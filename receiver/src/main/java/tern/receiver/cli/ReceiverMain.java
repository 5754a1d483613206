package tern.receiver.cli;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tern.common.cli.Cli;
import tern.common.cli.StartupChecks;
import tern.common.cli.TernVersion;
import tern.common.cli.VerboseOption;
import tern.common.cli.HostPort;
import tern.common.log.Log;
import tern.common.tls.TlsFiles;
import tern.common.tls.TlsOptions;
import tern.common.units.ByteSize;
import tern.common.units.Converters;
import tern.common.units.Durations;
import tern.common.wire.PeerText;
import tern.proto.Hello;
import tern.proto.Phase;
import tern.receiver.qemu.QemuDestination;
import tern.receiver.report.ReceiverStats;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.image.ImagePathCheck;
import tern.receiver.image.ResumeFile;
import tern.receiver.server.ReceiverServer;
import tern.receiver.server.ServerLimits;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

@Command(name = "tern-receiver", mixinStandardHelpOptions = true, versionProvider = TernVersion.class,
        description = "Receives a Tern migration into a file-backed image and verifies it.",
        sortOptions = false, exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the migration verified", "1:it failed", "2:bad usage, refused before listening"},
        footerHeading = "%nSizes%n", footer = ByteSize.RULE + ".")
public final class ReceiverMain implements Callable<Integer> {
    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "Address to listen on (port 0 picks a free port; the chosen address is printed).")
    InetSocketAddress listen;

    @Option(names = "--image", paramLabel = "PATH",
            description = "The target image file; created sparse, zero-filled, at each migration's hello"
                    + " (required unless --qemu-stream).")
    Path image;

    @Option(names = "--overwrite", description = "Allow replacing an existing non-empty image file.")
    boolean overwrite;

    @Option(names = "--keep-serving", description = "Serve one migration after another instead of exiting after the first.")
    boolean keepServing;

    @Option(names = "--max-message", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Largest inbound message (default: ${DEFAULT-VALUE}).", defaultValue = "4MiB")
    long maxMessage;

    @Option(names = "--max-image", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "64GiB",
            description = "Refuse migrations of a larger image, or whose digest table exceeds that of this size in 4 KiB"
                    + " pages (1/128 of it: what one hello may make the receiver allocate) (default: ${DEFAULT-VALUE}).")
    long maxImage;

    @Option(names = "--max-connections", paramLabel = "N", defaultValue = "64",
            description = "Connections open at once; more are closed as they are accepted (default: ${DEFAULT-VALUE}).")
    int maxConnections;

    @Option(names = "--hello-timeout", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "30s",
            description = "Close a stream that sends no hello, or a new migration that sends nothing after its hello,"
                    + " within this time (default: ${DEFAULT-VALUE}).")
    Duration helloTimeout;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "5m",
            description = "Close a stream that sends no message for this long, or stops reading, and hold its migration"
                    + " for a resume; longer than any pause a sender makes (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--window", description = "Unacknowledged batches offered to the sender (default: ${DEFAULT-VALUE}).",
            defaultValue = "16")
    int window;

    @Option(names = "--resume-timeout", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "60s",
            description = "Hold a migration whose stream was lost this long for its sender to resume; 0s turns resuming off"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration resumeTimeout;

    @Option(names = "--stats", paramLabel = "PATH",
            description = "Write JSON lines as migrations go: accepted, one per iteration, resumes, the verdict.")
    Path stats;

    @Option(names = "--discard-resume",
            description = "Delete the resume file next to --image (IMAGE.tern-resume) before listening: its migration,"
                    + " whose sender is gone, is given up, and the next migration replaces the image.")
    boolean discardResume;

    @Mixin
    TlsOptions tls;

    @Option(names = "--qemu-incoming", paramLabel = "URI",
            description = "Hand a QEMU guest over: once the image verified, start the destination QEMU given after --"
                    + " (its RAM must be memory-backend-file mem-path=IMAGE,share=on) listening at URI for the device"
                    + " state (e.g. tcp:0.0.0.0:4444), then continue the guest.")
    String qemuIncoming;

    @Option(names = "--qemu-stream",
            description = "Carry a QEMU guest's own migration stream (tern-sender --source qemu-stream:): at the hello,"
                    + " start the destination QEMU given after -- (adding -S -incoming defer and a QMP socket), write"
                    + " the stream into it, continue its guest once it loaded and the roots agree. No image.")
    boolean qemuStream;

    @Option(names = "--qemu-stream-to", paramLabel = "unix:PATH",
            description = "With --qemu-stream: write the stream into a destination QEMU someone else started listening"
                    + " there (-incoming unix:PATH, or libvirt's side of virsh migrate --migrateuri unix://PATH) instead"
                    + " of starting one.")
    String qemuStreamTo;

    @Option(names = "--qemu-stream-qmp", paramLabel = "SOCKET",
            description = "With --qemu-stream-to: that QEMU's QMP socket; the receiver then checks it, waits for its load"
                    + " and continues it (without: whoever started it continues it).")
    Path qemuStreamQmp;

    @Option(names = "--qemu-log", paramLabel = "PATH",
            description = "The destination QEMU's output (default: IMAGE.qemu.log; with --qemu-stream, "
                    + QemuStreamRun.DEFAULT_LOG + ").")
    Path qemuLog;

    @Option(names = "--handoff-timeout", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "60s",
            description = "How long to wait for the guest's device state after the verdict (default: ${DEFAULT-VALUE}).")
    java.time.Duration handoffTimeout;

    @Parameters(paramLabel = "QEMU-COMMAND", arity = "0..*",
            description = "With --qemu-incoming or --qemu-stream, after --: the destination QEMU's command line.")
    java.util.List<String> qemuCommand = new java.util.ArrayList<>();

    @Mixin
    VerboseOption verbose;

    public static void main(String[] args) {
        // the transport's own stack traces are silenced in ReceiverServer
        System.exit(Cli.run(new ReceiverMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (resumeTimeout.isNegative()) {
            throw new IllegalArgumentException("--resume-timeout must not be negative");
        }
        if (maxMessage < 64 * 1024 || maxMessage > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--max-message " + maxMessage + " must be between 64KiB and 2GiB");
        }
        if (window < 1 || window > 1024) {
            throw new IllegalArgumentException("--window " + window + " must be between 1 and 1024");
        }
        if (maxImage < 4096) {
            throw new IllegalArgumentException("--max-image " + maxImage + " must be at least 4KiB");
        }
        ServerLimits limits = new ServerLimits(maxConnections, helloTimeout, idleTimeout);
        if (qemuStream) {
            QemuStreamRun.check(this);
        } else if (image == null) {
            throw new IllegalArgumentException("--image is required (or --qemu-stream, which writes no image)");
        }
        StartupChecks.resolvable("--listen", listen.getHostString());
        TlsFiles tlsFiles = tls.resolve(listen.getHostString(), "--listen");
        Consumer<String> refusals = refused -> Log.error(PeerText.clean(refused));
        ServerCredentials credentials = tlsFiles == null ? InsecureServerCredentials.create()
                : tlsFiles.serverCredentials(refusals);
        if (qemuStream) {
            return new QemuStreamRun(this).run(tlsFiles, credentials, refusals);
        }
        boolean resumable = Files.exists(ResumeFile.pathFor(image));
        // Ordering (docs/design.md): checked before the receiver listens, so no sender moves a byte
        // towards an image that cannot be written; and before a resume file is discarded, so bad
        // usage deletes nothing. A discarded migration's image is replaced as with --overwrite.
        boolean discarded = resumable && discardResume;
        ImagePathCheck.check(image, overwrite || discarded, resumable && !discarded);
        if (discarded) {
            ResumeFile.delete(image);
            resumable = false;
            System.out.println("discarded " + ResumeFile.pathFor(image) + ": its migration will not be resumed, and the"
                    + " next migration replaces " + image);
        }
        QemuDestination qemu = qemuDestination();
        ReceiverConfig config = new ReceiverConfig((int) maxMessage, window, maxImage, resumeTimeout);
        SessionListener progress = new ResumeLines() {
            @Override
            public void started(Hello h) {
                System.out.println("migration " + PeerText.clean(h.getMigrationId(), 128) + ": " + h.getPageCount() + " pages of "
                        + h.getPageSize() + " B (" + ByteSize.format(h.getPageCount() * h.getPageSize())
                        + "), digest " + h.getDigest().name().toLowerCase());
                if (qemu != null) {
                    try {
                        qemu.launch();
                        System.out.println("destination QEMU started on " + image);
                    } catch (IOException e) {
                        // listen() tries again and, failing, refuses the verdict with the reason
                        Log.error("cannot start the destination QEMU yet: " + e.getMessage());
                    }
                }
            }

            @Override
            public void iteration(int iteration, Phase phase) {
                System.out.println("iteration " + iteration + " (" + phase.name().toLowerCase().replace('_', '-') + ")");
            }

            @Override
            public void drift(long pages) {
                System.out.println(pages + " pages of the image changed behind the receiver; asking the sender to resend them");
            }

            @Override
            public void verified() throws Exception {
                if (qemu != null) {
                    qemu.listen();
                    System.out.println("destination QEMU listening at " + qemuIncoming + " for the device state");
                }
            }
        };
        ReceiverStats figures = stats == null ? null : ReceiverStats.create(stats);
        SessionListener listener = figures == null ? progress : SessionListener.both(progress, figures);
        MigrationSession restored = null;
        if (resumable) {
            long t0 = System.nanoTime();
            try {
                restored = MigrationSession.restore(image, config, listener);
            } catch (IOException e) {
                throw new IOException("resume file " + ResumeFile.pathFor(image) + ": " + e.getMessage()
                        + "; start with --discard-resume to give its migration up", e);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("image " + image + " holds migration " + restored.migrationId() + ": "
                    + (restored.restoredDistrust() == null ? "sealed table trusted"
                    : "table rebuilt from the image bytes in " + ms + " ms, because " + restored.restoredDistrust())
                    + "; awaiting its sender's resume for " + Durations.format(resumeTimeout)
                    + " (if its sender is gone for good, restart with --discard-resume)");
        }
        InetSocketAddress bind = new InetSocketAddress(listen.getHostString(), listen.getPort());
        try (qemu; figures; ReceiverServer server = ReceiverServer.start(bind, image, config, limits, listener, restored,
                credentials, refusals)) {
            if (figures != null) {
                figures.countBytes(server::bytesReceived);
            }
            System.out.println("listening on " + server.address().getAddress().getHostAddress() + ":" + server.port()
                    + ", image " + image);
            if (tlsFiles != null) {
                System.out.println("mutual TLS: clients must present a certificate signed by " + tlsFiles.ca());
            }
            System.out.flush();
            while (true) {
                MigrationOutcome o = server.awaitOutcome();
                if (figures != null) {
                    figures.outcome(o);
                }
                if (o.verified()) {
                    System.out.println("verified: migration " + o.migrationId() + ", " + o.pagesStored()
                            + " pages stored in " + o.batches() + " batches, root " + o.rootDigest());
                } else {
                    Log.error("migration " + (o.migrationId() == null ? "(before hello)" : o.migrationId())
                            + " failed: " + PeerText.clean(o.reason()));
                }
                System.out.flush();
                if (qemu != null && o.verified()) {
                    QemuDestination.Running r = qemu.awaitHandOffAndContinue();
                    System.out.println(ResumeLines.handedOverLine(r.pid(), r.resumedEpochMicros()));
                    return 0;
                }
                if (!keepServing) {
                    return o.verified() ? 0 : 1;
                }
            }
        }
    }

    private QemuDestination qemuDestination() {
        if (qemuIncoming == null) {
            if (!qemuCommand.isEmpty()) {
                throw new IllegalArgumentException("a QEMU command (" + qemuCommand.get(0) + " ...) needs --qemu-incoming URI");
            }
            return null;
        }
        if (qemuCommand.isEmpty()) {
            throw new IllegalArgumentException("--qemu-incoming needs the destination QEMU's command line after --");
        }
        if (keepServing) {
            throw new IllegalArgumentException("--qemu-incoming hands one guest over: it does not go with --keep-serving");
        }
        Path logPath = qemuLog != null ? qemuLog : Path.of(image + ".qemu.log");
        return new QemuDestination(qemuCommand, image.toAbsolutePath(), qemuIncoming, logPath, handoffTimeout);
    }
}
