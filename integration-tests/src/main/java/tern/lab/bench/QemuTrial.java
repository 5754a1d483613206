package tern.lab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.CliEnum;
import tern.common.cli.TernVersion;
import tern.common.cli.VerboseOption;
import tern.common.json.JsonObjects;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.QmpEvent;
import tern.common.stats.Json;
import tern.common.units.ByteSize;
import tern.common.units.Converters;
import tern.lab.process.ChildProcess;
import tern.lab.process.FileTree;
import tern.lab.process.ProcessGroup;
import tern.lab.process.TernHome;
import tern.lab.qemu.GuestKit;
import tern.lab.qemu.SerialConsole;
import tern.sender.cli.SwitchoverOptions;

/**
 * The same QEMU guest and workload migrated side by side on loopback: (a) QEMU's own pre-copy,
 * (b) QEMU with XBZRLE, (c) Tern's digest scan, (d) Tern with XBZRLE and (e) Tern as the transport
 * of QEMU's own stream — each at the same bandwidth cap and downtime limit. Times come from QEMU's own event timestamps (STOP on the
 * source, RESUME on the destination, read by an observing QMP connection on each QEMU), so both
 * sides are measured by the same clock and the same code.
 */
@Command(name = "tern-qemu-trial", mixinStandardHelpOptions = true, versionProvider = TernVersion.class, sortOptions = false,
        description = "Migrates a QEMU guest by QEMU's pre-copy and by Tern, side by side; prints one table.")
public final class QemuTrial implements Callable<Integer> {
    private static final Pattern HB = Pattern.compile("tern-hb seq=(\\d+) .*");

    @Option(names = "--patterns", split = ",", defaultValue = "idle,random,silent,mixed", paramLabel = "PATTERN",
            converter = GuestKit.Pattern.Names.class, completionCandidates = GuestKit.Pattern.Names.class,
            description = "Guest write patterns, of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    List<GuestKit.Pattern> patterns;

    @Option(names = "--variants", split = ",", defaultValue = "qemu,qemu-xbzrle,tern,tern-xbzrle,tern-stream", paramLabel = "VARIANT",
            converter = Variant.Names.class, completionCandidates = Variant.Names.class,
            description = "Who migrates, of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    List<Variant> variants;

    @Option(names = "--ram", converter = Converters.Size.class, defaultValue = "524280KiB",
            description = "Guest RAM; QEMU 7.2's TCG pre-copy loses writes when it is a multiple of 256 KiB"
                    + " (default: ${DEFAULT-VALUE}).")
    long ram;

    @Option(names = "--workload", converter = Converters.Size.class, defaultValue = "256MiB",
            description = "Memory the guest's writer owns (default: ${DEFAULT-VALUE}).")
    long workload;

    @Option(names = "--rate", defaultValue = "4096", description = "Guest page stores per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--silent-fraction", defaultValue = "0.5", description = "Silent share for mixed (default: ${DEFAULT-VALUE}).")
    double silentFraction;

    /** The seed's set-up: 32 MiB/s and a 300 ms downtime limit for every migration. */
    @Mixin
    SwitchoverOptions switchover = new SwitchoverOptions("32MiB");

    @Option(names = "--max-time", converter = Converters.Time.class, defaultValue = "120s",
            description = "After this a migration is forced to switch over and reported not converged"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration maxTime;

    @Option(names = "--out", description = "Directory for logs and results.json (default: a new temporary one).")
    Path out;

    @Mixin
    VerboseOption verbose;

    /** Who migrates: QEMU's own pre-copy or Tern's digest scan, each with or without XBZRLE, or QEMU's stream through Tern. */
    enum Variant {
        QEMU, QEMU_XBZRLE, TERN, TERN_XBZRLE, TERN_STREAM;

        boolean byQemu() {
            return this == QEMU || this == QEMU_XBZRLE;
        }

        boolean xbzrle() {
            return this == QEMU_XBZRLE || this == TERN_XBZRLE;
        }

        static final class Names extends CliEnum<Variant> {
            Names() {
                super(Variant.class);
            }
        }
    }

    private long bandwidth;
    private TernHome home;
    private GuestKit kit;

    record Row(GuestKit.Pattern pattern, Variant variant, long ramKiB, Long totalMs, Long guestDowntimeMs, Long reportedDowntimeMs,
               Long wireBytes, Long iterations, Boolean converged, boolean runsOn, String check, String error) {
    }

    /** What one migration reported, and an observing QMP connection to the destination QEMU. */
    private record Migrated(Row partial, QmpClient destinationObserver) {
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new QemuTrial(), args));
    }

    @Override
    public Integer call() throws Exception {
        bandwidth = switchover.bandwidthBytesPerSecond();
        if (ram % 4096 != 0 || workload >= ram) {
            throw new IllegalArgumentException("--ram must be a multiple of 4 KiB and larger than --workload");
        }
        if (!GuestKit.qemuInstalled()) {
            throw new IllegalStateException("qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        }
        home = TernHome.find();
        kit = GuestKit.build(home.root());
        Path dir = out != null ? Files.createDirectories(out) : Files.createTempDirectory("tern-qemu-trial-");
        System.out.println("logs in " + dir);
        List<Row> rows = new ArrayList<>();
        List<Json> json = new ArrayList<>();
        for (GuestKit.Pattern pattern : patterns) {
            for (Variant variant : variants) {
                Path runDir = Files.createDirectories(dir.resolve(CliEnum.name(pattern) + "-" + CliEnum.name(variant)));
                Row r;
                try {
                    r = run(pattern, variant, runDir);
                } catch (Exception e) {
                    r = new Row(pattern, variant, ram / 1024, null, null, null, null, null, null, false, "none",
                            e.getMessage() == null ? e.toString() : e.getMessage());
                }
                rows.add(r);
                json.add(json(r));
                System.out.println(line(r));
                Files.writeString(dir.resolve("results.json"), json.toString() + "\n");
            }
        }
        System.out.println();
        System.out.println(table(rows));
        return 0;
    }

    private Row run(GuestKit.Pattern pattern, Variant variant, Path dir) throws Exception {
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "tern-trial-");
        GuestKit.Workload w = new GuestKit.Workload(pattern, rate, (int) (workload >> 20), silentFraction, 10);
        long kib = ram / 1024;
        ProcessGroup children = new ProcessGroup(home, dir);
        List<AutoCloseable> open = new ArrayList<>();
        try {
            SerialConsole srcConsole = new SerialConsole(dir.resolve("source.console"));
            SerialConsole dstConsole = new SerialConsole(dir.resolve("destination.console"));
            open.add(srcConsole);
            open.add(dstConsole);
            Path srcRam = shm.resolve("source.ram");
            Path srcCtl = dir.resolve("source-ctl.qmp");
            Path srcObs = dir.resolve("source-obs.qmp");
            List<String> src = kit.command(kib, srcRam, w, srcConsole.port(), srcCtl);
            src.addAll(List.of("-qmp", "unix:" + srcObs + ",server=on,wait=off"));
            children.start("source-qemu", src);
            if (srcConsole.await(0, l -> l.startsWith("tern-check"), Duration.ofSeconds(300)) == null) {
                throw new IOException("the source guest did not boot and check its memory (" + srcConsole.log() + ")");
            }
            QmpClient srcObserver = QmpClient.connect(srcObs, Duration.ofSeconds(30));
            open.add(srcObserver);
            Path dstRam = shm.resolve("destination.ram");
            Path dstObs = dir.resolve("destination-obs.qmp");
            List<String> dst = kit.command(kib, dstRam, w, dstConsole.port(), null);
            dst.addAll(List.of("-qmp", "unix:" + dstObs + ",server=on,wait=off"));
            int incoming = GuestKit.freePort();
            long startMicros = System.currentTimeMillis() * 1000;
            Migrated migrated = variant.byQemu()
                    ? qemuRun(pattern, variant, dir, dst, dstObs, srcCtl, incoming, children, open)
                    : variant == Variant.TERN_STREAM ? ternStreamRun(pattern, dir, dst, dstObs, srcCtl, children, open)
                    : ternRun(pattern, variant, dir, dst, dstObs, srcRam, srcCtl, dstRam, incoming, children, open);
            QmpEvent stop = srcObserver.awaitEvent(e -> e.name().equals("STOP"), Duration.ofSeconds(10));
            Row partial = migrated.partial();
            QmpEvent resume = migrated.destinationObserver().awaitEvent(e -> e.name().equals("RESUME"), Duration.ofSeconds(60));
            Long guestDowntime = stop != null && resume != null ? (resume.epochMicros() - stop.epochMicros()) / 1000 : null;
            Long total = resume != null ? (resume.epochMicros() - startMicros) / 1000 : null;
            int lastSourceBeat = lastBeat(srcConsole);
            SerialConsole.Line beat = dstConsole.await(0, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60));
            boolean runsOn = beat != null && beatSeq(beat.text()) > lastSourceBeat;
            SerialConsole.Line check = runsOn ? dstConsole.await(0, l -> l.startsWith("tern-check"), Duration.ofSeconds(90)) : null;
            String checkResult = check == null ? "none" : check.text().contains(" ok ") ? "ok" : "BAD";
            return new Row(pattern, variant, kib, total, guestDowntime, partial.reportedDowntimeMs(), partial.wireBytes(),
                    partial.iterations(), partial.converged(), runsOn, checkResult, partial.error());
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception ignored) {
                    // best effort: the run is over
                }
            }
            children.close();
            killPidFile(dir.resolve("destination.pid"));
            FileTree.delete(shm);
        }
    }

    /** (a), (b): QEMU's own pre-copy of all RAM, the trial driving both QEMUs through QMP. */
    private Migrated qemuRun(GuestKit.Pattern pattern, Variant variant, Path dir, List<String> dst, Path dstObs, Path srcCtlPath, int incoming,
                        ProcessGroup children, List<AutoCloseable> open) throws Exception {
        Path dstCtlPath = dir.resolve("destination-ctl.qmp");
        List<String> cmd = new ArrayList<>(dst);
        cmd.addAll(List.of("-incoming", "defer", "-qmp", "unix:" + dstCtlPath + ",server=on,wait=off"));
        children.start("destination-qemu", cmd);
        QmpClient dstCtl = QmpClient.connect(dstCtlPath, Duration.ofSeconds(60));
        open.add(dstCtl);
        QmpClient dstObserver = QmpClient.connect(dstObs, Duration.ofSeconds(60));
        open.add(dstObserver);
        QmpClient srcCtl = QmpClient.connect(srcCtlPath, Duration.ofSeconds(30));
        open.add(srcCtl);
        boolean xbzrle = variant.xbzrle();
        for (QmpClient q : List.of(srcCtl, dstCtl)) {
            QemuMigration.setCapabilities(q, true, "events");
            if (xbzrle) {
                QemuMigration.setCapabilities(q, true, "xbzrle");
            }
        }
        srcCtl.execute("migrate-set-parameters", Json.object().put("max-bandwidth", bandwidth)
                .put("downtime-limit", switchover.downtimeLimit().toMillis()).put("xbzrle-cache-size", 64L << 20));
        dstCtl.execute("migrate-incoming", Json.object().put("uri", "tcp:127.0.0.1:" + incoming));
        srcCtl.execute("migrate", Json.object().put("uri", "tcp:127.0.0.1:" + incoming));
        QemuMigration.Outcome o = QemuMigration.awaitEnd(srcCtl, maxTime);
        boolean converged = o.status() != null;
        if (!converged) {
            // not converged within --max-time: allow a long downtime so it switches over now
            srcCtl.execute("migrate-set-parameters", Json.object().put("downtime-limit", 60_000L));
            o = QemuMigration.awaitEnd(srcCtl, Duration.ofMinutes(5));
        }
        Map<String, Object> info = o.info();
        Map<?, ?> ramInfo = info.get("ram") instanceof Map<?, ?> m ? m : Map.of();
        Files.writeString(dir.resolve("query-migrate.json"), info.toString() + "\n");
        return new Migrated(new Row(pattern, variant, 0, null, null, asLong(info.get("downtime")),
                asLong(ramInfo.get("transferred")), asLong(ramInfo.get("dirty-sync-count")), converged && o.completed(), false,
                null, o.completed() ? null : "QEMU migration " + o.status() + (o.error() != null ? ": " + o.error() : "")),
                dstObserver);
    }

    /** (c), (d): Tern moves the RAM file; QEMU moves only device state (x-ignore-shared). */
    private Migrated ternRun(GuestKit.Pattern pattern, Variant variant, Path dir, List<String> dst, Path dstObs, Path srcRam, Path srcCtl,
                        Path dstRam, int incoming, ProcessGroup children, List<AutoCloseable> open) throws Exception {
        List<String> recv = new ArrayList<>(List.of("--image", dstRam.toString(), "--qemu-incoming", "tcp:127.0.0.1:" + incoming));
        List<String> send = new ArrayList<>(List.of(
                "--source", "qemu:" + srcRam + ",qmp=" + srcCtl + ",handoff=tcp:127.0.0.1:" + incoming));
        if (variant.xbzrle()) {
            send.add("--xbzrle");
        }
        TernProcesses t = ternProcesses(dir, recv, dst, dstObs, send, children, open);
        Map<String, Object> handoff = t.lines().get("handoff");
        Long handoffBytes = handoff == null ? null : asLong(handoff.get("handoff_ram_bytes"));
        return t.migrated(pattern, variant, handoffBytes == null ? 0 : handoffBytes);
    }

    /** (e): Tern carries QEMU's own migration stream; the receiver starts the destination QEMU on ordinary RAM. */
    private Migrated ternStreamRun(GuestKit.Pattern pattern, Path dir, List<String> dst, Path dstObs, Path srcCtl,
                                   ProcessGroup children, List<AutoCloseable> open) throws Exception {
        TernProcesses t = ternProcesses(dir, new ArrayList<>(List.of("--qemu-stream")), dst, dstObs,
                new ArrayList<>(List.of("--source", "qemu-stream:qmp=" + srcCtl)), children, open);
        return t.migrated(pattern, Variant.TERN_STREAM, 0);
    }

    /** What Tern's two processes left: their exits and error, the --stats lines by type, the destination's observer. */
    private record TernProcesses(String error, Map<String, Map<String, Object>> lines, QmpClient destinationObserver) {
        /** The row's figures from the summary; {@code extraWire}: bytes QEMU moved beside Tern's link (a hand-off). */
        Migrated migrated(GuestKit.Pattern pattern, Variant variant, long extraWire) {
            Map<String, Object> summary = lines.get("summary");
            if (summary == null) {
                return new Migrated(new Row(pattern, variant, 0, null, null, null, null, null, null, false, null, error),
                        destinationObserver);
            }
            Long wire = asLong(summary.get("bytes_on_wire"));
            return new Migrated(new Row(pattern, variant, 0, null, null, asLong(summary.get("downtime_ms")),
                    wire == null ? null : wire + extraWire, asLong(summary.get("iterations")),
                    Boolean.TRUE.equals(summary.get("converged")), false, null, error), destinationObserver);
        }
    }

    /**
     * tern-receiver with {@code recv} and the destination QEMU command {@code dst}, then tern-sender
     * with {@code send}, both at the trial's cap, limit and time bound; waits for both to end.
     */
    private TernProcesses ternProcesses(Path dir, List<String> recv, List<String> dst, Path dstObs, List<String> send,
                                        ProcessGroup children, List<AutoCloseable> open) throws Exception {
        List<String> r = new ArrayList<>(List.of("--listen", "127.0.0.1:0"));
        r.addAll(recv);
        r.addAll(List.of("--qemu-log", dir.resolve("destination-qemu.log").toString(), "--"));
        r.addAll(dst);
        r.addAll(List.of("-pidfile", dir.resolve("destination.pid").toString()));
        ProcessGroup.Receiver started = children.startReceiver("receiver", r.toArray(String[]::new));
        ChildProcess receiver = started.process();
        CompletableFuture<QmpClient> observer = CompletableFuture.supplyAsync(() -> {
            try {
                return QmpClient.connect(dstObs, Duration.ofSeconds(120));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Path stats = dir.resolve("stats.jsonl");
        List<String> s = new ArrayList<>(List.of("--to", started.to()));
        s.addAll(send);
        s.addAll(List.of("--bandwidth", Long.toString(bandwidth), "--downtime-limit",
                switchover.downtimeLimit().toMillis() + "ms", "--max-time", maxTime.toSeconds() + "s",
                "--on-no-convergence", "force", "--stats", stats.toString()));
        ChildProcess sender = children.start("sender", home.tool("tern-sender", s.toArray(String[]::new)));
        int senderExit = sender.awaitExit(maxTime.plusMinutes(5));
        int receiverExit = receiver.awaitExit(Duration.ofMinutes(2));
        QmpClient dstObserver = observer.get();
        open.add(dstObserver);
        Map<String, Map<String, Object>> lines = new java.util.HashMap<>();
        if (Files.exists(stats)) {
            for (String l : Files.readAllLines(stats)) {
                Map<String, Object> o = JsonObjects.parse(l);
                lines.put(String.valueOf(o.get("type")), o);
            }
        }
        String error = senderExit != 0 || receiverExit != 0
                ? "sender exit " + senderExit + ", receiver exit " + receiverExit + sender.tail() : null;
        return new TernProcesses(error, lines, dstObserver);
    }

    private static Long asLong(Object o) {
        return o instanceof Long l ? l : o instanceof Double d ? (long) (double) d : null;
    }

    private static int lastBeat(SerialConsole c) {
        int seq = -1;
        for (SerialConsole.Line l : c.lines()) {
            if (l.text().startsWith("tern-hb")) {
                seq = beatSeq(l.text());
            }
        }
        return seq;
    }

    private static int beatSeq(String line) {
        Matcher m = HB.matcher(line);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static Json json(Row r) {
        return Json.object().put("pattern", CliEnum.name(r.pattern())).put("variant", CliEnum.name(r.variant())).put("ram_kib", r.ramKiB())
                .put("total_ms", r.totalMs()).put("guest_downtime_ms", r.guestDowntimeMs())
                .put("reported_downtime_ms", r.reportedDowntimeMs()).put("bytes_on_wire", r.wireBytes())
                .put("iterations", r.iterations()).put("converged", r.converged()).put("runs_on", r.runsOn())
                .put("self_check", r.check()).put("error", r.error());
    }

    private static String line(Row r) {
        return CliEnum.name(r.pattern()) + " " + CliEnum.name(r.variant()) + ": " + json(r);
    }

    static String table(List<Row> rows) {
        StringBuilder b = new StringBuilder();
        b.append("| pattern | migrated by | total | guest downtime | (reported) | bytes on wire | iterations | converged"
                + " | runs on | self-check |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", CliEnum.name(r.pattern()),
                    CliEnum.name(r.variant()),
                    ms(r.totalMs()), ms(r.guestDowntimeMs()), ms(r.reportedDowntimeMs()),
                    r.wireBytes() == null ? "?" : ByteSize.format(r.wireBytes()),
                    r.iterations() == null ? "?" : r.iterations().toString(),
                    r.converged() == null ? "?" : r.converged() ? "yes" : "no", r.runsOn() ? "yes" : "no",
                    r.check() + (r.error() != null ? " (" + r.error().lines().findFirst().orElse("") + ")" : "")));
        }
        return b.toString();
    }

    private static String ms(Long v) {
        return v == null ? "?" : v >= 10_000 ? String.format(Locale.ROOT, "%.1f s", v / 1000.0) : v + " ms";
    }

    private static void killPidFile(Path pidFile) throws IOException {
        if (Files.exists(pidFile)) {
            String pid = Files.readString(pidFile).strip();
            if (!pid.isEmpty()) {
                ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
