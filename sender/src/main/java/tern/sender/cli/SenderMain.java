package tern.sender.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.CliEnum;
import tern.common.cli.HostPort;
import tern.common.cli.VerboseOption;
import tern.common.embed.EmbeddedReceiver;
import tern.common.tls.TlsFiles;
import tern.common.tls.TlsOptions;
import tern.common.stats.Json;
import tern.common.units.Converters;
import tern.common.wire.Protocol;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineListener;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.MigrationResult;
import tern.sender.engine.Mode;
import tern.sender.engine.PrecopyLoop;
import tern.sender.report.ProgressLine;
import tern.sender.report.StatsFile;
import tern.sender.report.StatsTable;
import tern.sender.source.FileSource;
import tern.sender.source.MemorySource;
import tern.sender.source.ProcessPauser;
import tern.sender.source.QemuSource;
import tern.sender.source.QemuSourceSpec;
import tern.sender.stream.QemuStreamSpec;
import tern.sender.transport.MigrationChannel;

@Command(name = "tern-sender", mixinStandardHelpOptions = true, version = "tern-sender 0.1", sortOptions = false,
        description = "Migrates memory to a tern-receiver by digest-acknowledged pre-copy.")
public final class SenderMain implements Callable<Integer> {

    static final class Target {
        @Option(names = "--to", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
                description = "The receiver's address.")
        InetSocketAddress to;

        @Option(names = "--embedded-receiver", paramLabel = "IMAGE",
                description = "Run a receiver in this process on loopback, writing IMAGE (replaced if it exists).")
        Path embeddedImage;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Source {
        @Option(names = "--workload", paramLabel = "NAME",
                description = "In-process writer: a pattern (uniform, silent, hotset, mixed), a workload model"
                        + " (idle, webserver, kernel-compile, memcached, zeusmp, bzip2, mcf, milc, bwaves) or trace:FILE.")
        String workload;

        @Option(names = "--source", paramLabel = "file:PATH|qemu:RAMFILE,qmp=SOCKET[,handoff=URI]|qemu-stream:qmp=SOCKET[,listen=URI]",
                description = "A file another process writes, or a QEMU guest's shared RAM file and QMP socket"
                        + " (no dirty log: digest scans, --mode digest); handoff=URI moves the guest's device state"
                        + " to the destination QEMU after a verified migration; or a QEMU guest whose own migration"
                        + " stream Tern carries to a tern-receiver --qemu-stream (Tern runs migrate, or with"
                        + " listen=unix:PATH|tcp:127.0.0.1:PORT carries the migrate someone else runs).")
        String source;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source sourceChoice;

    @Mixin
    WorkloadOptions workload;

    @Option(names = "--pause-pid", paramLabel = "PID",
            description = "With --source file: stop this process (SIGSTOP) for stop-and-copy.")
    Long pausePid;

    @Option(names = "--mode", defaultValue = "digest", paramLabel = "MODE", converter = Modes.class,
            completionCandidates = Modes.class, description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Mixin
    EngineOptions engine;

    @Option(names = "--audit", defaultValue = "on", paramLabel = "on|off", converter = Audit.Names.class,
            description = "Hash pages in sync-clear/reconcile to count false dirty pages (default: ${DEFAULT-VALUE}).")
    Audit audit;

    @Option(names = "--xbzrle", description = "Encode re-sent pages as XBZRLE deltas against a cache of pages sent.")
    boolean xbzrle;

    @Option(names = "--on-no-convergence", defaultValue = "force", paramLabel = "force|abort",
            converter = OnNoConvergence.class,
            description = "force: stop-and-copy anyway (reported converged=false); abort: fail (default: ${DEFAULT-VALUE}).")
    EngineConfig.OnNoConvergence onNoConvergence;

    @Option(names = "--after-success", defaultValue = "stay-paused", paramLabel = "stay-paused|continue|kill",
            converter = AfterSuccess.class,
            description = "What happens to the source after a verified migration (default: ${DEFAULT-VALUE}).")
    EngineConfig.AfterSuccess afterSuccess;

    @Option(names = "--batch-pages", defaultValue = "64", description = "Pages per batch message (default: ${DEFAULT-VALUE}).")
    int batchPages;

    @Option(names = "--window", defaultValue = "16", description = "Unacknowledged batches at most (default: ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--resume-timeout", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "60s",
            description = "After a lost connection, keep reconnecting with the migration's token this long, then fail;"
                    + " 0s fails at once (default: ${DEFAULT-VALUE}).")
    Duration resumeTimeout;

    @Option(names = "--keepalive", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "30s",
            description = "Ping interval and timeout: a dark link is noticed after about twice this (default: ${DEFAULT-VALUE}).")
    Duration keepalive;

    @Option(names = "--migration-id", description = "Name for logs (default: generated).")
    String migrationId;

    @Option(names = "--stats", paramLabel = "PATH", description = "Write JSON lines: one per iteration, then a summary.")
    Path stats;

    @Option(names = "--quiet", description = "No progress lines and no table.")
    boolean quiet;

    @Mixin
    TlsOptions tls;

    @Option(names = "--handoff-timeout", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "60s",
            description = "With --source qemu:...,handoff=URI: how long QEMU's device-state migration may take"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration handoffTimeout;

    @Mixin
    VerboseOption verbose;

    /** --audit on|off. */
    enum Audit {
        ON, OFF;

        static final class Names extends CliEnum<Audit> {
            Names() {
                super(Audit.class);
            }
        }
    }

    static final class Modes extends CliEnum<Mode> {
        Modes() {
            super(Mode.class);
        }
    }

    static final class OnNoConvergence extends CliEnum<EngineConfig.OnNoConvergence> {
        OnNoConvergence() {
            super(EngineConfig.OnNoConvergence.class);
        }
    }

    static final class AfterSuccess extends CliEnum<EngineConfig.AfterSuccess> {
        AfterSuccess() {
            super(EngineConfig.AfterSuccess.class);
        }
    }

    /** With --embedded-receiver: found by {@link #credentials()}, before the source starts. */
    private EmbeddedReceiver.Provider embeddedReceiver;

    public static void main(String[] args) {
        System.exit(Cli.run(new SenderMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        EngineConfig cfg = engineConfig();
        QemuStreamSpec stream = null;
        if (sourceChoice.source != null && sourceChoice.source.startsWith(QemuStreamSpec.PREFIX)) {
            stream = QemuStreamSpec.parse(sourceChoice.source);
            QemuStreamRun.check(cfg, target.embeddedImage != null, pausePid != null);
        }
        ChannelCredentials credentials = credentials();
        if (stream != null) {
            return new QemuStreamRun(stream, cfg, target.to, credentials, keepalive, resumeTimeout, stats, quiet).run();
        }
        try (MemorySource source = openSource(cfg)) {
            EmbeddedReceiver embedded = null;
            InetSocketAddress to = target.to;
            try {
                if (target.embeddedImage != null) {
                    embedded = embeddedReceiver.start(target.embeddedImage);
                    to = InetSocketAddress.createUnresolved("127.0.0.1", embedded.port());
                }
                ProgressLine progress = new ProgressLine(System.out, System.console() != null && !quiet);
                if (!quiet) {
                    System.out.println("migrating " + source.describe() + " to " + to.getHostString() + ":" + to.getPort()
                            + ", mode " + cfg.mode().cliName() + (cfg.xbzrle() ? "+xbzrle" : "") + ", digest "
                            + cfg.digest().cliName());
                }
                MigrationResult result;
                try (MigrationChannel channel = MigrationChannel.connect(to, Protocol.DEFAULT_MAX_MESSAGE_BYTES,
                        keepalive, credentials)) {
                    result = new PrecopyLoop(source, cfg, channel, quiet ? EngineListener.NONE : progress,
                            resumeTimeout).run();
                } catch (MigrationFailure f) {
                    if (stats != null && f.partial() != null) {
                        StatsFile.write(stats, f.partial());
                    }
                    throw f;
                }
                if (stats != null) {
                    StatsFile.write(stats, result);
                }
                if (!quiet) {
                    StatsTable.print(System.out, result.iterations(), result.summary());
                }
                if (embedded != null) {
                    String failure = embedded.awaitFailure();
                    if (failure != null) {
                        throw new MigrationFailure("embedded receiver: " + failure);
                    }
                }
                if (source instanceof QemuSource qemu && qemu.spec().handoffUri() != null) {
                    handOff(qemu);
                }
                return 0;
            } finally {
                if (embedded != null) {
                    embedded.close();
                }
            }
        }
    }

    /** Checked before the source starts, so a usage error never leaves a workload running. */
    private ChannelCredentials credentials() {
        if (target.embeddedImage != null) {
            embeddedReceiver = EmbeddedReceiver.provider();
            if (tls.anyGiven()) {
                throw new IllegalArgumentException("--embedded-receiver runs in this process on loopback;"
                        + " --tls-cert/--tls-key/--tls-ca/--insecure apply to --to");
            }
            return InsecureChannelCredentials.create();
        }
        TlsFiles files = tls.resolve(target.to.getHostString(), "--to");
        return files == null ? InsecureChannelCredentials.create() : files.channelCredentials();
    }

    /** The guest's device state follows its verified pages; a failed hand-off has continued the source guest. */
    private void handOff(QemuSource qemu) throws Exception {
        QemuSource.HandOff h;
        try {
            h = qemu.handOff(handoffTimeout);
        } catch (IOException e) {
            throw new MigrationFailure(e.getMessage() + "; the source guest was continued", e);
        }
        if (!quiet) {
            System.out.println("handed off: device state to " + h.uri() + " in " + h.millis() + " ms"
                    + (h.ramBytes() != null ? " (QEMU sent " + h.ramBytes() + " B of non-shared RAM and state)" : ""));
        }
        if (stats != null) {
            Files.writeString(stats, Json.object().put("type", "handoff").put("uri", h.uri()).put("handoff_ms", h.millis())
                    .put("handoff_ram_bytes", h.ramBytes()).put("guest_stopped_epoch_us", h.stoppedEpochMicros()) + "\n",
                    StandardOpenOption.APPEND);
        }
        if (afterSuccess == EngineConfig.AfterSuccess.KILL) {
            qemu.terminate();
        }
    }

    private EngineConfig engineConfig() {
        if (resumeTimeout.isNegative()) {
            throw new IllegalArgumentException("--resume-timeout must not be negative");
        }
        if (keepalive.toMillis() < 1_000) {
            throw new IllegalArgumentException("--keepalive " + keepalive.toMillis() + "ms: at least 1s");
        }
        EngineConfig.AfterSuccess after = afterSuccess;
        if (handsOff()) {
            if (after == EngineConfig.AfterSuccess.CONTINUE) {
                throw new IllegalArgumentException("--after-success continue with handoff= would leave the guest running"
                        + " on both hosts; use stay-paused or kill");
            }
            after = EngineConfig.AfterSuccess.STAY_PAUSED; // the source is ended (kill) only once its device state moved
        }
        String id = migrationId != null ? migrationId : "tern-" + Long.toHexString(System.currentTimeMillis());
        return engine.config(id, workload.pageSize()).mode(mode).xbzrle(xbzrle).audit(audit == Audit.ON)
                .onNoConvergence(onNoConvergence).afterSuccess(after).batchPages(batchPages).window(window).build();
    }

    private MemorySource openSource(EngineConfig cfg) throws Exception {
        if (sourceChoice.workload != null) {
            if (pausePid != null) {
                throw new IllegalArgumentException("--pause-pid goes with --source file:PATH, not --workload");
            }
            return workload.workloads(sourceChoice.workload).open().start();
        }
        String s = sourceChoice.source;
        if (s.startsWith(QemuSourceSpec.PREFIX)) {
            return openQemu(QemuSourceSpec.parse(s), cfg);
        }
        if (!s.startsWith("file:")) {
            throw new IllegalArgumentException("--source " + s + ": expected file:PATH, qemu:RAMFILE,qmp=SOCKET or qemu-stream:qmp=SOCKET");
        }
        Path path = Path.of(s.substring(5));
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("--source " + s + ": no such file");
        }
        if (cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException("--source file: has no dirty log, so only --mode digest applies (got "
                    + cfg.mode().cliName() + ")");
        }
        if (pausePid == null) {
            System.err.println("tern-sender: warning: no --pause-pid, so nothing is paused for the stop-and-copy;"
                    + " the migration is exact only if " + path + " is not written after the final scan");
        }
        return new FileSource(path, workload.pageSize(), pausePid == null ? null : new ProcessPauser(pausePid));
    }

    private boolean handsOff() {
        String s = sourceChoice.source;
        return s != null && s.startsWith(QemuSourceSpec.PREFIX) && QemuSourceSpec.parse(s).handoffUri() != null;
    }

    private MemorySource openQemu(QemuSourceSpec spec, EngineConfig cfg) throws Exception {
        if (pausePid != null) {
            throw new IllegalArgumentException("--pause-pid goes with --source file:PATH; a qemu: source pauses through QMP");
        }
        if (!Files.isRegularFile(spec.ramFile())) {
            throw new IllegalArgumentException("--source qemu:" + spec.ramFile() + ": no such RAM file");
        }
        if (cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException("--source qemu: has no dirty log, so only --mode digest applies (got "
                    + cfg.mode().cliName() + ")");
        }
        return QemuSource.open(spec, workload.pageSize());
    }
}
