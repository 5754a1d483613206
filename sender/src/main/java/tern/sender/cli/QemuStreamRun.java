package tern.sender.cli;

import io.grpc.ChannelCredentials;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import tern.common.wire.Protocol;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineListener;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.Mode;
import tern.sender.report.ProgressLine;
import tern.sender.report.StatsFile;
import tern.sender.report.StatsTable;
import tern.sender.stream.QemuStreamSender;
import tern.sender.stream.QemuStreamSpec;
import tern.sender.transport.MigrationChannel;

/**
 * tern-sender's {@code --source qemu-stream:} path: the options that do not apply refused before
 * anything starts, then {@link QemuStreamSender} over one channel, then the figures (--stats: the
 * iterations, the summary, then the {@code "type":"qemu-stream"} line) and the hand-over line.
 */
final class QemuStreamRun {
    private final QemuStreamSpec spec;
    private final EngineConfig cfg;
    private final InetSocketAddress to;
    private final ChannelCredentials credentials;
    private final Duration keepalive;
    private final Duration resumeTimeout;
    private final Path stats;
    private final boolean quiet;

    QemuStreamRun(QemuStreamSpec spec, EngineConfig cfg, InetSocketAddress to, ChannelCredentials credentials,
                  Duration keepalive, Duration resumeTimeout, Path stats, boolean quiet) {
        this.spec = spec;
        this.cfg = cfg;
        this.to = to;
        this.credentials = credentials;
        this.keepalive = keepalive;
        this.resumeTimeout = resumeTimeout;
        this.stats = stats;
        this.quiet = quiet;
    }

    /**
     * The usage errors of the stream path, found before QEMU is touched.
     *
     * @param embedded --embedded-receiver was given
     */
    static void check(EngineConfig cfg, boolean embedded, boolean pausePid) {
        if (embedded) {
            throw new IllegalArgumentException("--source qemu-stream: needs a tern-receiver --qemu-stream (--to), which"
                    + " starts the destination QEMU; --embedded-receiver writes an image file");
        }
        if (pausePid) {
            throw new IllegalArgumentException("--pause-pid goes with --source file:PATH; QEMU pauses its own guest");
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

    int run() throws Exception {
        PrintStream out = System.out;
        EngineListener listener = quiet ? EngineListener.NONE : new ProgressLine(out, System.console() != null);
        if (!quiet) {
            out.println("migrating the QEMU guest at " + spec.qmpSocket() + " by its own migration stream to "
                    + to.getHostString() + ":" + to.getPort() + ", digest " + cfg.digest().cliName());
        }
        QemuStreamSender.Outcome o;
        try (MigrationChannel channel = MigrationChannel.connect(to, Protocol.DEFAULT_MAX_MESSAGE_BYTES, keepalive,
                credentials)) {
            o = new QemuStreamSender(spec, cfg, resumeTimeout.isZero() ? null : resumeTimeout, listener).run(channel);
        } catch (MigrationFailure f) {
            if (stats != null && f.partial() != null) {
                StatsFile.write(stats, f.partial());
            }
            throw f;
        }
        if (stats != null) {
            StatsFile.write(stats, o.result());
            Files.writeString(stats, o.figures().toJson() + "\n", StandardOpenOption.APPEND);
        }
        if (!quiet) {
            StatsTable.print(out, o.result().iterations(), o.result().summary());
        }
        Long downtime = o.figures().guestDowntimeMs();
        Long pid = o.figures().destinationPid();
        if (o.figures().guestResumedEpochMicros() == null && pid == null) {
            out.println("stream handed over to " + to.getHostString() + ": the destination QEMU has all of it and whoever"
                    + " started it continues it; " + o.sourceState());
        } else {
            out.println("guest handed over: destination QEMU" + (pid != null ? " pid " + pid : "") + " running at "
                    + to.getHostString() + (downtime != null ? ", guest downtime " + downtime + " ms (QEMU's STOP to RESUME)" : "")
                    + "; " + o.sourceState());
        }
        return 0;
    }
}
