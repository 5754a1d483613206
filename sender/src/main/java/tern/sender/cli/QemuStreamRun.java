package tern.sender.cli;

import io.grpc.ChannelCredentials;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import tern.common.wire.Protocol;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.Mode;
import tern.sender.report.RunReports;
import tern.sender.stream.QemuStreamSender;
import tern.sender.stream.QemuStreamSpec;
import tern.sender.transport.MigrationChannel;

/**
 * tern-sender's {@code --source qemu-stream:} path: the options that do not apply refused before
 * anything starts, then {@link QemuStreamSender} over one channel, reporting through the run's
 * {@link RunReports} (the passes' lines as they end, the summary and table, then the
 * {@code "type":"qemu-stream"} line) and stopped by the run's {@link Interruption}, then the
 * hand-over line.
 */
final class QemuStreamRun {
    private final QemuStreamSpec spec;
    private final EngineConfig cfg;
    private final List<InetSocketAddress> to;
    private final ChannelCredentials credentials;
    private final Duration keepalive;
    private final Duration resumeTimeout;
    private final boolean quiet;

    QemuStreamRun(QemuStreamSpec spec, EngineConfig cfg, List<InetSocketAddress> to, ChannelCredentials credentials,
                  Duration keepalive, Duration resumeTimeout, boolean quiet) {
        this.spec = spec;
        this.cfg = cfg;
        this.to = to;
        this.credentials = credentials;
        this.keepalive = keepalive;
        this.resumeTimeout = resumeTimeout;
        this.quiet = quiet;
    }

    /**
     * The usage errors of the stream path, found before QEMU is touched.
     *
     * @param embedded --embedded-receiver was given
     * @param progress --progress, or null
     */
    static void check(EngineConfig cfg, boolean embedded, boolean pausePid, RunReports.Progress progress) {
        if (embedded) {
            throw new IllegalArgumentException("--source qemu-stream: needs a tern-receiver --qemu-stream (--to), which"
                    + " starts the destination QEMU; --embedded-receiver writes an image file");
        }
        if (pausePid) {
            throw new IllegalArgumentException("--pause-pid goes with --source file:PATH; QEMU pauses its own guest");
        }
        if (progress == RunReports.Progress.JSON) {
            throw new IllegalArgumentException("--progress json follows the pre-copy engine; with --source qemu-stream:"
                    + " QEMU's own query-migrate reports the migration (use --progress line or none)");
        }
        if (cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException("--source qemu-stream: QEMU's dirty log decides what is sent; Tern only"
                    + " drops pages the destination holds, which is --mode digest (got " + cfg.mode().cliName() + ")");
        }
        if (cfg.xbzrle()) {
            throw new IllegalArgumentException("--xbzrle does not go with --source qemu-stream: (QEMU's records are"
                    + " relayed as they are)");
        }
        if (cfg.afterSuccess() == EngineConfig.AfterSuccess.CONTINUE) {
            throw new IllegalArgumentException("--after-success continue with --source qemu-stream: would leave the guest"
                    + " running on both hosts; use stay-paused or kill");
        }
    }

    int run(RunReports reports, Interruption interruption) throws Exception {
        PrintStream out = System.out;
        String where = SenderMain.addresses(to);
        if (!quiet) {
            out.println("migrating the QEMU guest at " + spec.qmpSocket() + " by its own migration stream to "
                    + where + ", digest " + cfg.digest().cliName());
        }
        QemuStreamSender.Outcome o;
        try (MigrationChannel channel = MigrationChannel.connect(to, Protocol.DEFAULT_MAX_MESSAGE_BYTES, keepalive,
                credentials)) {
            QemuStreamSender sender = new QemuStreamSender(spec, cfg, resumeTimeout.isZero() ? null : resumeTimeout,
                    interruption, channel);
            interruption.migrating(sender::release);
            interruption.engine(sender);
            interruption.phase("while relaying QEMU's migration stream to " + where);
            o = sender.run();
            where = channel.address(); // the one that took the migration
            interruption.phase("after the hand-over");
        }
        // Ordering: the source settled (QemuStreamSender.run) before the summary and the table.
        reports.succeeded(o.result());
        reports.statsLine(o.figures().toJson());
        Long downtime = o.figures().guestDowntimeMs();
        Long pid = o.figures().destinationPid();
        if (o.figures().guestResumedEpochMicros() == null && pid == null) {
            out.println("stream handed over to " + where + ": the destination QEMU has all of it and whoever"
                    + " started it continues it; " + o.sourceState());
        } else {
            out.println("guest handed over: destination QEMU" + (pid != null ? " pid " + pid : "") + " running at "
                    + where + (downtime != null ? ", guest downtime " + downtime + " ms (QEMU's STOP to RESUME)" : "")
                    + "; " + o.sourceState());
        }
        return 0;
    }
}
