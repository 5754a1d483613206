package tern.sender.cli;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import tern.common.cli.Cli;
import tern.common.cli.MemoryBudget;
import tern.common.cli.StartupChecks;
import tern.common.cli.CliEnum;
import tern.common.cli.HostPort;
import tern.common.cli.TernVersion;
import tern.common.cli.VerboseOption;
import tern.common.embed.EmbeddedReceiver;
import tern.common.log.Log;
import tern.common.page.PageGeometry;
import tern.common.tls.TlsFiles;
import tern.common.tls.TlsOptions;
import tern.common.stats.Json;
import tern.common.units.ByteSize;
import tern.common.units.Converters;
import tern.common.wire.Protocol;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineFootprint;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.MigrationResult;
import tern.sender.engine.Mode;
import tern.sender.engine.PrecopyLoop;
import tern.sender.engine.SourceControl;
import tern.sender.report.RunReports;
import tern.sender.source.FileSource;
import tern.sender.source.MemorySource;
import tern.sender.source.ProcessPauser;
import tern.sender.source.QemuSource;
import tern.sender.source.QemuSourceSpec;
import tern.sender.stream.QemuStreamSender;
import tern.sender.stream.QemuStreamSpec;
import tern.sender.transport.MigrationChannel;
import tern.sender.workload.Workloads;

@Command(name = "tern-sender", mixinStandardHelpOptions = true, versionProvider = TernVersion.class, sortOptions = false,
        description = "Migrates memory to a tern-receiver by digest-acknowledged pre-copy.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:the migration verified (and the guest handed off, with handoff=)", "1:it failed; the source runs on",
                "2:bad usage, refused before anything started", "129, 130, 143:stopped by SIGHUP, SIGINT, SIGTERM;"
                + " the source runs on"},
        footerHeading = "%nSizes%n", footer = ByteSize.RULE + ".")
public final class SenderMain implements Callable<Integer> {

    static final class Target {
        @Option(names = "--to", paramLabel = "HOST:PORT[,HOST:PORT...]", converter = HostPort.Converter.class, split = ",",
                description = "The receiver's address; several, comma separated, are tried in turn on every (re)connect"
                        + " (a receiver restarted elsewhere: the migration's token tells which is the one).")
        List<InetSocketAddress> to;

        @Option(names = "--embedded-receiver", paramLabel = "IMAGE",
                description = "Run a receiver in this process on loopback, writing IMAGE (replaced if it exists).")
        Path embeddedImage;

        @Option(names = "--resume-source", paramLabel = "pid:PID|qmp:SOCKET",
                description = "Migrate nothing: leave a source running that a killed sender (SIGKILL) left paused:"
                        + " SIGCONT for a process; for a QEMU guest, cancel an unfinished hand-off, clear x-ignore-shared"
                        + " and continue it, unless its device state reached the destination.")
        String resumeSource;
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

    /** Required, unless --resume-source ({@link #call} says so). */
    @ArgGroup(exclusive = true, multiplicity = "0..1")
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

    @Option(names = "--stats", paramLabel = "PATH",
            description = "Write JSON lines as the migration goes: one per iteration as it ends, then a summary.")
    Path stats;

    @Option(names = "--progress", paramLabel = "line|json|none", converter = ProgressModes.class,
            completionCandidates = ProgressModes.class,
            description = "line: a status line on stdout; json: a JSON line a second on stderr, with query-migrate's"
                    + " fields; none (default: line when stdout is a terminal, else none).")
    RunReports.Progress progress;

    @Option(names = "--quiet", description = "Nothing on stdout: no iteration lines, no status line, no table.")
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

    static final class ProgressModes extends CliEnum<RunReports.Progress> {
        ProgressModes() {
            super(RunReports.Progress.class);
        }
    }

    @Spec
    CommandSpec spec;

    /** With --embedded-receiver: found by {@link #credentials()}, before the source starts. */
    private EmbeddedReceiver.Provider embeddedReceiver;

    /** Held, so the setting outlives a garbage collection of an unreferenced logger. */
    private static final java.util.logging.Logger GRPC_CHANNELS =
            java.util.logging.Logger.getLogger("io.grpc.internal.ManagedChannelImpl");

    public static void main(String[] args) {
        // A host name that stops resolving during a resume makes gRPC log a warning per attempt;
        // the sender says itself what happened to the connection.
        GRPC_CHANNELS.setLevel(java.util.logging.Level.SEVERE);
        System.exit(Cli.run(new SenderMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        if (target.resumeSource != null) {
            return ResumeSource.run(target.resumeSource, System.out);
        }
        if (sourceChoice == null) {
            throw new ParameterException(spec.commandLine(),
                    "Missing required argument: --workload=NAME or --source=file:PATH|qemu:...");
        }
        Interruption interruption = new Interruption();
        // before anything can be paused, so that no signal leaves the source paused
        interruption.install();
        try {
            return migrate(interruption);
        } catch (Exception | Error e) {
            if (interruption.interrupted()) {
                interruption.awaitExit(); // the shutdown hook says what happened, and ends the JVM
            }
            throw e;
        } finally {
            interruption.finished();
        }
    }

    private int migrate(Interruption interruption) throws Exception {
        EngineConfig cfg = engineConfig();
        QemuStreamSpec stream = null;
        if (sourceChoice.source != null && sourceChoice.source.startsWith(QemuStreamSpec.PREFIX)) {
            stream = QemuStreamSpec.parse(sourceChoice.source);
            QemuStreamRun.check(cfg, target.embeddedImage != null, pausePid != null, progress);
        }
        ChannelCredentials credentials = credentials();
        preflight(cfg, stream);
        try (RunReports reports = RunReports.create(System.out, System.err, quiet, progress, stats, cfg.migrationId())) {
            interruption.reports(reports);
            try {
                return stream != null
                        ? new QemuStreamRun(stream, cfg, target.to, credentials, keepalive, resumeTimeout, quiet)
                                .run(reports, interruption)
                        : migrate(cfg, credentials, reports, interruption);
            } catch (Exception e) {
                reports.failed(e);
                throw e;
            }
        }
    }

    private int migrate(EngineConfig cfg, ChannelCredentials credentials, RunReports reports, Interruption interruption)
            throws Exception {
        try (MemorySource source = openSource(cfg)) {
            SourceControl control = new SourceControl(source, afterSuccess, handsOff(), interruption);
            interruption.migrating(source, control);
            EmbeddedReceiver embedded = null;
            List<InetSocketAddress> to = target.to;
            try {
                if (target.embeddedImage != null) {
                    embedded = embeddedReceiver.start(target.embeddedImage);
                    to = List.of(InetSocketAddress.createUnresolved("127.0.0.1", embedded.port()));
                }
                if (!quiet) {
                    System.out.println("migrating " + source.describe() + " to " + addresses(to) + ", mode "
                            + cfg.mode().cliName() + (cfg.xbzrle() ? "+xbzrle" : "") + ", digest " + cfg.digest().cliName());
                }
                MigrationResult result;
                try (MigrationChannel channel = MigrationChannel.connect(to, Protocol.DEFAULT_MAX_MESSAGE_BYTES,
                        keepalive, credentials)) {
                    PrecopyLoop loop = new PrecopyLoop(source, cfg, channel, interruption, resumeTimeout, control);
                    reports.follow(loop.progress());
                    interruption.engine(loop);
                    interruption.phase("while connecting to " + addresses(to));
                    result = loop.run();
                    interruption.phase("after the verified migration");
                }
                if (embedded != null) {
                    String failure = embedded.awaitFailure();
                    if (failure != null) {
                        throw new MigrationFailure("embedded receiver: " + failure);
                    }
                }
                // Ordering: the hand-off before the summary and the table, whose writing must not
                // keep a verified guest from reaching its destination.
                QemuSource.HandOff h = source instanceof QemuSource qemu && qemu.spec().handoffUri() != null
                        ? handOff(qemu, control, interruption) : null;
                reports.succeeded(result);
                if (h != null) {
                    reports.statsLine(Json.object().put("type", "handoff").put("uri", h.uri()).put("handoff_ms", h.millis())
                            .put("handoff_ram_bytes", h.ramBytes()).put("guest_stopped_epoch_us", h.stoppedEpochMicros()));
                }
                return 0;
            } finally {
                if (embedded != null) {
                    embedded.close();
                }
            }
        }
    }

    static String addresses(List<InetSocketAddress> to) {
        List<String> a = new ArrayList<>();
        for (InetSocketAddress t : to) {
            a.add(t.getHostString() + ":" + t.getPort());
        }
        return String.join(", ", a);
    }

    /**
     * Every path and size, checked before anything connects, listens or pauses (ordering rule
     * S19, docs/design.md): what each path will be used for ({@link StartupChecks}), and the
     * memory the workload, the engine and an embedded receiver will allocate against what the JVM
     * and the machine can give ({@link MemoryBudget}). A failure is a usage error (exit 2).
     */
    private void preflight(EngineConfig cfg, QemuStreamSpec stream) throws IOException {
        if (stats != null) {
            StartupChecks.writableFile("--stats", stats);
        }
        MemoryBudget budget = MemoryBudget.here();
        if (stream != null) {
            // the guest's size is QEMU's to tell, once QMP answers (the stream's preflight)
            StartupChecks.unixSocket("--source (qmp=)", stream.qmpSocket());
            budget.heap("the QEMU stream relay's chunks (--window " + cfg.window() + ")", QemuStreamSender.relayHeapBytes(cfg));
            budget.check();
            return;
        }
        PageGeometry g;
        boolean dirtyLog;
        if (sourceChoice.workload != null) {
            Workloads w = workload.workloads(sourceChoice.workload);
            g = w.geometry();
            dirtyLog = true;
            budget.direct(workload.memoryOption(), g.bytes()).heap("the workload's dirty log", (g.pageCount() + 7) / 8 * 2);
        } else {
            Path file = sourcePath();
            StartupChecks.readableFile("--source", file);
            if (QemuSourceSpec.isQemu(sourceChoice.source)) {
                StartupChecks.unixSocket("--source (qmp=)", QemuSourceSpec.parse(sourceChoice.source).qmpSocket());
            }
            long size = Files.size(file);
            if (size == 0 || size % workload.pageSize() != 0) {
                throw new IllegalArgumentException("--source " + file + ": " + size + " bytes, not a positive multiple of"
                        + " --page-size " + workload.pageSize());
            }
            g = PageGeometry.ofBytes(size, workload.pageSize());
            dirtyLog = false;
        }
        EngineFootprint f = EngineFootprint.of(g, cfg, dirtyLog, !resumeTimeout.isZero());
        budget.heap("the sender's per-page state for " + g.pageCount() + " pages of " + sourceLabel(), f.heapBytes());
        if (cfg.xbzrle()) {
            budget.direct("--xbzrle-cache", f.directBytes());
        }
        if (target.embeddedImage != null) {
            budget.heap("--embedded-receiver's digest table", g.pageCount() * cfg.digest().length());
        }
        budget.check();
    }

    private String sourceLabel() {
        return sourceChoice.workload != null ? "--workload " + sourceChoice.workload : "--source";
    }

    /** The file a --source names: file:PATH, or the RAM file of qemu:RAMFILE,... */
    private Path sourcePath() {
        String s = sourceChoice.source;
        if (QemuSourceSpec.isQemu(s)) {
            return QemuSourceSpec.parse(s).ramFile();
        }
        if (!s.startsWith("file:")) {
            throw new IllegalArgumentException("--source " + s + ": expected file:PATH, qemu:RAMFILE,qmp=SOCKET or"
                    + " qemu-stream:qmp=SOCKET");
        }
        return Path.of(s.substring(5));
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
        TlsFiles files = null;
        for (InetSocketAddress a : target.to) {
            StartupChecks.resolvable("--to", a.getHostString());
            files = tls.resolve(a.getHostString(), "--to");
        }
        return files == null ? InsecureChannelCredentials.create() : files.channelCredentials();
    }

    /**
     * The guest's device state follows its verified pages. Through {@code control}, so that a
     * signal meanwhile and a failure roll it back once: a failed hand-off leaves the source guest
     * running (ordering rule S17), and --after-success kill ends it only once its device state
     * moved (S18).
     */
    private QemuSource.HandOff handOff(QemuSource qemu, SourceControl control, Interruption interruption) throws Exception {
        interruption.phase("during the device-state hand-off to " + qemu.spec().handoffUri());
        control.handingOff(qemu::rollBack);
        QemuSource.HandOff h;
        try {
            h = qemu.handOff(handoffTimeout);
        } catch (IOException | RuntimeException e) {
            throw new MigrationFailure(e.getMessage() + "; the source guest " + control.handOffFailed(), e);
        }
        control.handedOff();
        interruption.phase("after the hand-off");
        if (!quiet) {
            System.out.println("handed off: device state to " + h.uri() + " in " + h.millis() + " ms"
                    + (h.ramBytes() != null ? " (QEMU sent " + h.ramBytes() + " B of non-shared RAM and state)" : ""));
        }
        return h;
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
        if (QemuSourceSpec.isQemu(s)) {
            return openQemu(QemuSourceSpec.parse(s), cfg);
        }
        Path path = sourcePath();
        if (cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException("--source file: has no dirty log, so only --mode digest applies (got "
                    + cfg.mode().cliName() + ")");
        }
        if (pausePid == null) {
            Log.warning("no --pause-pid, so nothing is paused for the stop-and-copy;"
                    + " the migration is exact only if " + path + " is not written after the final scan");
        }
        return new FileSource(path, workload.pageSize(), pausePid == null ? null : new ProcessPauser(pausePid));
    }

    private boolean handsOff() {
        String s = sourceChoice.source;
        return s != null && QemuSourceSpec.isQemu(s) && QemuSourceSpec.parse(s).handoffUri() != null;
    }

    private MemorySource openQemu(QemuSourceSpec spec, EngineConfig cfg) throws Exception {
        if (pausePid != null) {
            throw new IllegalArgumentException("--pause-pid goes with --source file:PATH; a qemu: source pauses through QMP");
        }
        if (cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException("--source qemu: has no dirty log, so only --mode digest applies (got "
                    + cfg.mode().cliName() + ")");
        }
        return QemuSource.open(spec, workload.pageSize());
    }
}
