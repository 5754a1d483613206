package tern.lab.bench;

import static tern.lab.bench.BenchConstants.MIB;
import static tern.lab.bench.BenchConstants.PAGE_SIZE;
import static tern.lab.bench.BenchConstants.SAMPLE_MS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tern.common.units.ByteSize;
import tern.lab.process.ChildProcess;
import tern.lab.process.Listening;
import tern.lab.process.ProcessGroup;

/**
 * Tern migrations as a user runs them: bin/tern-receiver and bin/tern-sender as a fresh pair of
 * processes per run, each watched by a {@link ProcSampler}, with CPU read at the bulk pass's
 * marks ({@link BulkMarks}) and iteration 1's figures taken from the sender's --stats.
 */
final class TernRuns {
    private final ProcessGroup processes;
    private final Scratch scratch;
    private final Progress progress;
    private final List<String> notes;
    private final double hz;

    /** {@code notes}: where a run that did not send every page once says so. */
    TernRuns(ProcessGroup processes, Scratch scratch, Progress progress, List<String> notes, double hz) {
        this.processes = processes;
        this.scratch = scratch;
        this.progress = progress;
        this.notes = notes;
        this.hz = hz;
    }

    /** One migration of {@code bytes}: from the file {@code source}, or (null) from the sender's idle workload. */
    TernRun run(TernConfig cfg, Path source, long bytes, String tag) throws Exception {
        return run(cfg, source, bytes, tag, null);
    }

    /**
     * As {@link #run(TernConfig, Path, long, String)}; with {@code jfrDir}, each process also
     * records a JFR profile there ({@code sender.jfr}, {@code receiver.jfr}), written as it exits.
     */
    TernRun run(TernConfig cfg, Path source, long bytes, String tag, Path jfrDir) throws Exception {
        scratch.requireDisk(bytes);
        Path run = scratch.runDir("tern-" + cfg.name() + "-" + bytes / MIB + "m-");
        Path image = run.resolve("image.img");
        Path stats = run.resolve("stats.jsonl");
        Duration timeout = BenchConstants.timeoutFor(bytes);
        ProcFs.CpuTicks self0 = ProcFs.self();
        long wall0 = System.nanoTime();
        BulkMarks marks = new BulkMarks();
        ProcSampler.Peaks sp;
        ProcSampler.Peaks rp;
        ProcFs.CpuTicks senderLast;
        ProcFs.CpuTicks receiverLast;
        try (ProcSampler sampler = new ProcSampler(SAMPLE_MS)) {
            ProcSampler.Watch senderW;
            ProcSampler.Watch receiverW;
            // A warm pair migrates the image once before the measured run: the receiver keeps
            // serving, the sender runs both migrations in one JVM (the first one silent); the marks
            // are the second run's.
            int nth = cfg.warm() ? 2 : 1;
            List<String> receiverCmd = processes.tool("tern-receiver", "--listen", "127.0.0.1:0", "--image", image.toString());
            if (cfg.warm()) {
                receiverCmd.addAll(List.of("--keep-serving", "--overwrite"));
            }
            ChildProcess receiver = processes.start("receiver", run, receiverCmd, jfr(jfrDir, "receiver"),
                    List.of(marks.hook(BulkMarks.START, nth(nth, l -> l.startsWith("iteration 1 (")))));
            try {
                int port = Listening.await(receiver, ChildProcess.TIMEOUT).port();
                receiverW = sampler.watch("receiver", receiver.pid());
                marks.watchReceiver(receiverW);
                ChildProcess sender = processes.start("sender", run, senderCommand(cfg, source, bytes, port, stats),
                        jfr(jfrDir, "sender"),
                        List.of(marks.hook(BulkMarks.END, l -> l.startsWith("iteration 1 (bulk)"))));
                try {
                    senderW = sampler.watch("sender", sender.pid());
                    marks.watchSender(senderW);
                    progress.line("tern " + cfg.name() + tag + ": migrating " + ByteSize.format(bytes) + " ...");
                    sender.awaitSuccess(timeout);
                    if (!cfg.warm()) {
                        receiver.awaitSuccess(timeout);
                    } // a warm receiver keeps serving: closing it below ends it
                } finally {
                    processes.close(sender);
                }
            } finally {
                processes.close(receiver);
            }
            sp = senderW.peaks();
            rp = receiverW.peaks();
            senderLast = senderW.lastCpu();
            receiverLast = receiverW.lastCpu();
        } finally {
            Files.deleteIfExists(image); // the image (as large as the source) goes before the next run
        }
        double wall = (System.nanoTime() - wall0) / 1e9;
        Cpu rusage = Cpu.children(ProcFs.self().minus(self0), hz);
        try {
            List<String> lines = Files.readAllLines(stats, StandardCharsets.UTF_8);
            if (lines.size() < 2) {
                throw new IllegalStateException("tern " + cfg.name() + ": " + stats + " has " + lines.size() + " lines");
            }
            StatsLine first = StatsLine.parse(lines.get(0));
            StatsLine summary = StatsLine.parse(lines.get(lines.size() - 1));
            if (!"bulk".equals(first.get("phase")) || !Boolean.TRUE.equals(summary.get("verified"))) {
                throw new IllegalStateException("tern " + cfg.name() + ": no verified migration with a bulk first line: "
                        + first + " / " + summary);
            }
            if (!marks.complete()) {
                throw new IllegalStateException("tern " + cfg.name() + ": the bulk pass's marks were not seen in the output");
            }
            long pages = bytes / PAGE_SIZE;
            TernRun t = new TernRun(cfg, bytes, pages, first.longField("bytes_on_wire"),
                    first.longField("payload_bytes"), Math.max(1, first.longField("duration_ms")),
                    first.longField("pages_sent"), first.longField("pages_skipped"),
                    first.longField("pages_zero"), marks.seconds(), marks.senderCpu(hz), marks.receiverCpu(hz),
                    Cpu.of(senderLast, hz), Cpu.of(receiverLast, hz), rusage, sp, rp, wall,
                    summary.longField("total_ms"), summary.longOrNull("verify_ms"),
                    marks.senderThreads(hz), marks.receiverThreads(hz), marks.machine());
            if (t.pagesSent() != pages || t.pagesZero() != 0) {
                notes.add("tern " + cfg.name() + " at " + ByteSize.format(bytes) + ": the bulk pass sent " + t.pagesSent()
                        + " of " + pages + " pages (" + t.pagesZero() + " zero, " + t.pagesSkipped() + " skipped)");
            }
            progress.line(String.format(Locale.ROOT, "tern %s%s: bulk pass %s on the wire in %d ms: %.3f GB/s;"
                            + " CPU s/GiB sender %s, receiver %s; whole run %.1f s, peak RssAnon sender %s, receiver %s",
                    cfg.name(), tag, ByteSize.format(t.bytesOnWire()), t.durationMs(), t.bytesPerS() / 1e9,
                    t.senderBulk().perGib(t.payloadBytes()).show(), t.receiverBulk().perGib(t.payloadBytes()).show(),
                    wall, ByteSize.format(sp.rssAnon()), ByteSize.format(rp.rssAnon())));
            return t;
        } finally {
            scratch.doneWith(run);
        }
    }

    /** Matches the {@code n}th line that {@code p} matches (a hook fires once, at its first match). */
    private static java.util.function.Predicate<String> nth(int n, java.util.function.Predicate<String> p) {
        int[] seen = {0};
        return l -> p.test(l) && ++seen[0] == n;
    }

    /** The launchers' extra JVM flags that make {@code side} record a profile into {@code dir}. */
    private static java.util.Map<String, String> jfr(Path dir, String side) {
        if (dir == null) {
            return java.util.Map.of();
        }
        return java.util.Map.of("TERN_JAVA_EXTRA_OPTS",
                "-XX:StartFlightRecording=settings=profile,filename=" + dir.resolve(side + ".jfr"));
    }

    private List<String> senderCommand(TernConfig cfg, Path source, long bytes, int port, Path stats) {
        List<String> cmd = new ArrayList<>(cfg.warm()
                ? processes.home().launch("lab", WarmSender.class.getName(), "1", "--to", "127.0.0.1:" + port)
                : processes.tool("tern-sender", "--to", "127.0.0.1:" + port));
        if (cfg.fileSource()) {
            cmd.addAll(List.of("--source", "file:" + source));
        } else {
            cmd.addAll(List.of("--workload", "idle", "--memory", Long.toString(bytes), "--zero-fraction", "0"));
        }
        cmd.addAll(cfg.flags());
        cmd.addAll(List.of("--stats", stats.toString()));
        return cmd;
    }
}
