package tern.sender.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.stats.Json;
import tern.common.units.ByteSize;
import tern.common.units.Converters;

/**
 * tern-bench: on loopback, in one run and side by side, the raw-TCP ceiling (two warmed-up JVM
 * processes, {@link TcpSource} and tern.receiver.bench.TcpSink, reading the same kind of source
 * and writing the same kind of image with the same system calls as Tern), Tern's bulk pass
 * (bin/tern-receiver and bin/tern-sender as separate processes) in several configurations, CPU
 * seconds per GiB moved on each side, and each side's peak memory per GiB of image at several
 * sizes. Every process is started through bin/tern-launch with the launchers' JVM flags.
 *
 * <p>How CPU is measured: utime+stime of each process from {@code /proc/PID/stat} (all its
 * threads, JIT and GC included), read at the marks that bound the measured work (for Tern: the
 * receiver's line for iteration 1's mark, sent right when the sender starts timing the pass, and
 * the sender's line for the end of iteration 1; for TCP: before the {@code go} of a round and
 * after its acknowledgement) and, for whole runs, the last sample before exit (every 10 ms),
 * cross-checked with the benchmark's own cutime+cstime (getrusage of its reaped children).
 */
@Command(name = "tern-bench", mixinStandardHelpOptions = true, version = "tern-bench 0.1", sortOptions = false,
        description = {"Loopback benchmark: the raw-TCP ceiling vs Tern's bulk pass, CPU per GiB on each side,"
                + " and peak memory per GiB of image.",
                "Sources are files of non-zero pseudo-random pages in --shm; images are new sparse files in --dir."})
public final class BenchMain implements Callable<Integer> {
    static final long KIB = 1L << 10;
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    private static final int PAGE_SIZE = 4096;
    private static final long SAMPLE_MS = 10;
    private static final long SEED = 0x7E57BE4CL;
    private static final Pattern LISTENING = Pattern.compile("listening on [0-9.]+:(\\d+), image .*");

    @Option(names = "--size", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Image size of the throughput runs (default: 2GiB; 256MiB with --quick).")
    Long size;

    @Option(names = "--rss-sizes", paramLabel = "SIZE,...|none",
            description = "Image sizes of the memory runs, one after another (default: 1GiB,4GiB,8GiB;"
                    + " 64MiB,256MiB,512MiB with --quick; none skips them).")
    String rssSizes;

    @Option(names = "--quick", description = "A short run: small sizes.")
    boolean quick;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "/tmp",
            description = "Where images are written, in a new directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--shm", paramLabel = "DIR", defaultValue = "/dev/shm",
            description = "Where source files are made, in a new directory (default: ${DEFAULT-VALUE}).")
    Path shm;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the results as JSON to FILE.")
    Path out;

    @Option(names = "--repeat", defaultValue = "2",
            description = "Rounds of all throughput runs (TCP, then each Tern configuration); each kind's fastest run is"
                    + " reported, as this machine's noise (other work, the host) only slows runs down (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--tcp-rounds", defaultValue = "2",
            description = "Measured TCP transfers of the whole image after the warm-up; the best counts (default: ${DEFAULT-VALUE}).")
    int tcpRounds;

    @Option(names = "--tcp-warmup", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Bytes of the warm-up transfer (default: 512MiB, 64MiB with --quick, at most --size).")
    Long tcpWarmup;

    @Option(names = "--buffer", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "256KiB",
            description = "TCP write and image write size of the baseline (default: ${DEFAULT-VALUE}, Tern's batch).")
    long buffer;

    @Option(names = "--tern-configs", paramLabel = "NAME,...", split = ",",
            description = "Tern configurations to run (default: all): digest-sha256, digest-xxh3-128,"
                    + " sync-clear-audit-off, sync-clear-audit-off-xxh3-128.")
    List<String> ternConfigs;

    @Option(names = "--keep-logs", description = "Keep the processes' output (images are always deleted).")
    boolean keepLogs;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    /** A Tern sender configuration: its flags, and whether it reads the file source (or needs a workload). */
    record TernConfig(String name, String label, boolean fileSource, List<String> flags) {
    }

    static final List<TernConfig> CONFIGS = List.of(
            new TernConfig("digest-sha256", "tern digest sha256 (default)", true,
                    List.of("--mode", "digest", "--digest", "sha256")),
            new TernConfig("digest-xxh3-128", "tern digest xxh3-128", true,
                    List.of("--mode", "digest", "--digest", "xxh3-128")),
            new TernConfig("sync-clear-audit-off", "tern sync-clear audit off (*)", false,
                    List.of("--mode", "sync-clear", "--audit", "off", "--digest", "sha256")),
            new TernConfig("sync-clear-audit-off-xxh3-128", "tern sync-clear audit off xxh3 (*)", false,
                    List.of("--mode", "sync-clear", "--audit", "off", "--digest", "xxh3-128")));

    /** CPU seconds, user and system. */
    record Cpu(double user, double sys) {
        static Cpu of(ProcFs.CpuTicks d, double hz) {
            return new Cpu(d.user() / hz, d.system() / hz);
        }

        static Cpu children(ProcFs.CpuTicks d, double hz) {
            return new Cpu(d.childUser() / hz, d.childSystem() / hz);
        }

        double total() {
            return user + sys;
        }

        Cpu perGib(long bytes) {
            double g = bytes / (double) GIB;
            return new Cpu(user / g, sys / g);
        }

        Json json() {
            return Json.object().put("user", user).put("sys", sys).put("total", total());
        }

        String show() {
            return String.format(Locale.ROOT, "%.2f (%.2f+%.2f)", total(), user, sys);
        }
    }

    /** The whole machine over a window: shares of all cores' time busy, idle, waiting for I/O, and stolen by the host. */
    record Machine(double busy, double idle, double iowait, double steal) {
        static Machine of(ProcFs.MachineTicks d) {
            double all = Math.max(1, d.all());
            return new Machine((d.user() + d.system()) / all, d.idle() / all, d.iowait() / all, d.steal() / all);
        }

        Json json() {
            return Json.object().put("busy", busy).put("idle", idle).put("iowait", iowait).put("steal", steal);
        }

        String show() {
            return String.format(Locale.ROOT, "%3.0f/%2.0f/%2.0f/%2.0f", 100 * busy, 100 * idle, 100 * iowait, 100 * steal);
        }
    }

    record TcpRound(int round, boolean warmup, long bytes, long nanos, long sinkNanos, Cpu source, Cpu sink, Machine machine) {
        double bytesPerS() {
            return bytes * 1e9 / nanos;
        }
    }

    record TcpResult(boolean discard, List<TcpRound> rounds, TcpRound best, Boolean imageMatches, Cpu rusage,
                     ProcSampler.Peaks sourcePeaks, ProcSampler.Peaks sinkPeaks) {
    }

    record LocalWrite(long bytes, long nanos, Cpu cpu, Machine machine) {
        double bytesPerS() {
            return bytes * 1e9 / nanos;
        }
    }

    record TernRun(TernConfig config, long imageBytes, long pages, long bytesOnWire, long payloadBytes, long durationMs,
                   long pagesSent, long pagesSkipped, long pagesZero, double markSeconds, Cpu senderBulk, Cpu receiverBulk,
                   Cpu senderWhole, Cpu receiverWhole, Cpu rusage, ProcSampler.Peaks sender, ProcSampler.Peaks receiver,
                   double wallSeconds, long totalMs, Long verifyMs, Map<String, Cpu> senderThreads,
                   Map<String, Cpu> receiverThreads, Machine machine) {
        double bytesPerS() {
            return bytesOnWire * 1000.0 / durationMs;
        }

        double payloadPerS() {
            return payloadBytes * 1000.0 / durationMs;
        }
    }

    private final long t0 = System.nanoTime();
    private final Set<Child> live = ConcurrentHashMap.newKeySet();
    private final List<String> notes = new ArrayList<>();
    private Path home;
    private Path workDir;
    private Path shmDir;
    private double hz = 100;

    public static void main(String[] args) {
        System.exit(Cli.run(new BenchMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        long sizeBytes = size != null ? size : quick ? 256 * MIB : 2 * GIB;
        List<Long> rss = parseSizes(rssSizes != null ? rssSizes : quick ? "64MiB,256MiB,512MiB" : "1GiB,4GiB,8GiB");
        long warm = Math.min(sizeBytes, tcpWarmup != null ? tcpWarmup : quick ? 64 * MIB : 512 * MIB);
        checkSize("--size", sizeBytes);
        if (tcpWarmup != null) {
            checkSize("--tcp-warmup", tcpWarmup);
        }
        if (buffer < PAGE_SIZE || buffer % PAGE_SIZE != 0 || buffer > 64 * MIB) {
            throw new IllegalArgumentException("--buffer " + buffer + " must be a whole number of 4 KiB pages, at most 64 MiB");
        }
        if (repeat < 1 || tcpRounds < 1) {
            throw new IllegalArgumentException("--repeat and --tcp-rounds must be at least 1");
        }
        List<TernConfig> configs = selectConfigs();
        home = findHome();
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IllegalArgumentException("--dir " + dir + " is not a writable directory");
        }
        if (!Files.isDirectory(shm) || !Files.isWritable(shm)) {
            throw new IllegalArgumentException("--shm " + shm + " is not a writable directory");
        }
        hz = clockTicks();
        // Check the biggest needs up front, so that a long run does not fail half-way.
        long biggest = rss.stream().mapToLong(Long::longValue).max().orElse(0);
        boolean workloadConfigs = configs.stream().anyMatch(c -> !c.fileSource());
        requireRoom(sizeBytes, workloadConfigs ? sizeBytes : 0, "--size");
        if (biggest > 0) {
            requireRoom(biggest, 0, "--rss-sizes");
        }

        Thread cleanup = new Thread(this::cleanUp, "tern-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        workDir = Files.createTempDirectory(dir, "tern-bench-");
        shmDir = Files.createTempDirectory(shm, "tern-bench-");
        Json result;
        try {
            progress("tern-bench: images in " + workDir + " (" + fsType(workDir) + "), sources in " + shmDir + " ("
                    + fsType(shmDir) + "); " + Runtime.getRuntime().availableProcessors() + " cores, "
                    + System.getProperty("java.version"));
            // ---- throughput: one source file for every run ----
            Path source = shmDir.resolve("source.ram");
            List<LocalWrite> locals = new ArrayList<>();
            List<TcpResult> tcps = new ArrayList<>();
            List<TcpResult> discards = new ArrayList<>();
            List<List<TernRun>> terns = new ArrayList<>();
            configs.forEach(c -> terns.add(new ArrayList<>()));
            try {
                fill(source, sizeBytes, SEED);
                for (int rep = 1; rep <= repeat; rep++) {
                    String r = repeat > 1 ? " [" + rep + "/" + repeat + "]" : "";
                    locals.add(localWrite(sizeBytes, warm, r));
                    tcps.add(runTcp(source, sizeBytes, warm, false, r));
                    discards.add(runTcp(source, sizeBytes, warm, true, r));
                    for (int i = 0; i < configs.size(); i++) {
                        TernConfig c = configs.get(i);
                        terns.get(i).add(runTern(c, c.fileSource() ? source : null, sizeBytes, r));
                    }
                }
            } finally {
                Files.deleteIfExists(source);
            }
            // ---- memory: one size after another, each source and image deleted before the next ----
            List<TernRun> memory = new ArrayList<>();
            for (long s : rss) {
                requireRoom(s, 0, "--rss-sizes");
                Path src = shmDir.resolve("source-" + s / MIB + "m.ram");
                try {
                    fill(src, s, SEED ^ s);
                    memory.add(runTern(CONFIGS.get(0), src, s, " [memory]"));
                } finally {
                    Files.deleteIfExists(src);
                }
            }
            LocalWrite local = fastest(locals, LocalWrite::bytesPerS);
            TcpResult tcp = fastest(tcps, t -> t.best().bytesPerS());
            TcpResult discard = fastest(discards, t -> t.best().bytesPerS());
            List<TernRun> ternRuns = new ArrayList<>();
            for (List<TernRun> runs : terns) {
                ternRuns.add(fastest(runs, TernRun::bytesPerS));
            }
            notes.add("One stream: Tern has no multi-stream transfer yet (the protocol reserves stream_index/stream_count);"
                    + " every figure is one TCP connection.");
            if (configs.stream().anyMatch(c -> !c.fileSource())) {
                notes.add("(*) --mode sync-clear is refused for --source file: (a file has no dirty log; dirty pages are found"
                        + " by digest scan, so only --mode digest applies). These runs use the in-process --workload idle"
                        + " --zero-fraction 0 of the same size (non-zero pseudo-random pages in anonymous direct memory, no"
                        + " writer), and the receiver still digests every page it stores (sha256 or xxh3-128); their whole-run sender CPU"
                        + " includes filling that memory.");
            }
            notes.add("TCP runs are warm (best of " + tcpRounds + " whole transfers after a " + ByteSize.format(warm)
                    + " warm-up in the same processes); each Tern run is a fresh pair of processes, as a migration is:"
                    + " its bulk pass includes the JIT compiling Tern's, gRPC's and netty's paths (CPU of JIT threads counts)."
                    + (repeat > 1 ? " Each row is the fastest of " + repeat + " rounds (all in the JSON)." : ""));
            notes.add("CPU: utime+stime of each process (all threads) from /proc/PID/stat at the run's marks; Tern's bulk"
                    + " window is from the receiver's line for iteration 1's mark to the sender's line for the end of"
                    + " iteration 1 (the span duration_ms times); per GiB of image bytes moved (payload).");
            result = report(sizeBytes, warm, local, tcp, discard, ternRuns, memory, locals, tcps, discards, terns);
        } finally {
            cleanUp();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // shutting down already
            }
        }
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(out, result.toString() + "\n", StandardCharsets.UTF_8);
            progress("written " + out.toAbsolutePath());
        }
        return 0;
    }

    // ------------------------------------------------------------------ runs

    /** Plain positional writes of a 256 KiB buffer into a new sparse file: the image side alone, no network. */
    private LocalWrite localWrite(long bytes, long warm, String tag) throws IOException {
        requireDisk(bytes);
        Path file = workDir.resolve("local-write.img");
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ByteBuffer buf = ByteBuffer.allocateDirect((int) buffer).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom rnd = new SplittableRandom(SEED);
        while (buf.hasRemaining()) {
            buf.putLong(rnd.nextLong() | 1);
        }
        LocalWrite last = null;
        try {
            for (long n : new long[] {warm, bytes}) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(0);
                    raf.setLength(n);
                }
                try (FileChannel fc = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    ProcFs.MachineTicks m0 = ProcFs.machine();
                    long cpu0 = mx.getCurrentThreadCpuTime();
                    long user0 = mx.getCurrentThreadUserTime();
                    long s = System.nanoTime();
                    for (long pos = 0; pos < n; ) {
                        buf.clear().limit((int) Math.min(buffer, n - pos));
                        while (buf.hasRemaining()) {
                            pos += fc.write(buf, pos);
                        }
                    }
                    long nanos = System.nanoTime() - s;
                    long user = mx.getCurrentThreadUserTime() - user0;
                    long cpu = mx.getCurrentThreadCpuTime() - cpu0;
                    last = new LocalWrite(n, nanos, new Cpu(user / 1e9, (cpu - user) / 1e9),
                            Machine.of(ProcFs.machine().minus(m0)));
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
        progress(String.format(Locale.ROOT, "local pwrite%s: %s into a new sparse file in %.1f s: %.3f GB/s, %s CPU s/GiB",
                tag, ByteSize.format(last.bytes()), last.nanos() / 1e9, last.bytesPerS() / 1e9,
                last.cpu().perGib(last.bytes()).show()));
        return last;
    }

    private TcpResult runTcp(Path source, long bytes, long warm, boolean discard, String tag) throws Exception {
        requireDisk(discard ? 0 : bytes);
        String what = discard ? "tcp (sink discards)" : "tcp";
        Path run = Files.createTempDirectory(workDir, discard ? "tcp-discard-" : "tcp-");
        Path image = run.resolve("image.img");
        ProcFs.CpuTicks self0 = ProcFs.self();
        List<TcpRound> rounds = new ArrayList<>();
        long timeout = timeoutMillis(bytes);
        Boolean matches = null;
        ProcSampler.Watch srcW = null;
        ProcSampler.Watch sinkW = null;
        try (ProcSampler sampler = new ProcSampler(SAMPLE_MS)) {
            List<String> sinkCmd = new ArrayList<>(launch("receiver", "tern.receiver.bench.TcpSink",
                    "--listen", "127.0.0.1:0", "--image", image.toString(), "--buffer", Long.toString(buffer)));
            if (discard) {
                sinkCmd.add("--discard");
            }
            Child sink = start("tcp-sink", sinkCmd, run, List.of(), false);
            try {
                int port = port(sink);
                sinkW = sampler.watch("sink", sink.pid());
                Child src = start("tcp-source", launch("sender", "tern.sender.bench.TcpSource",
                        "--to", "127.0.0.1:" + port, "--source", "file:" + source, "--buffer", Long.toString(buffer),
                        "--warmup-rounds", "1", "--warmup-bytes", Long.toString(warm), "--rounds", Integer.toString(tcpRounds)),
                        run, List.of(), true);
                try {
                    srcW = sampler.watch("source", src.pid());
                    for (int r = 1; r <= 1 + tcpRounds; r++) {
                        String prefix = "ready " + r + " ";
                        src.awaitLine(l -> l.startsWith(prefix), "'" + prefix.trim() + "' line", timeout);
                        ProcFs.MachineTicks m0 = ProcFs.machine();
                        ProcFs.CpuTicks s0 = srcW.cpuNow();
                        ProcFs.CpuTicks k0 = sinkW.cpuNow();
                        src.send("go");
                        String donePrefix = "done " + r + " ";
                        String done = src.awaitLine(l -> l.startsWith(donePrefix), "'" + donePrefix.trim() + "' line", timeout);
                        ProcFs.CpuTicks s1 = srcW.cpuNow();
                        ProcFs.CpuTicks k1 = sinkW.cpuNow();
                        ProcFs.MachineTicks m1 = ProcFs.machine();
                        String[] f = done.split(" ");
                        TcpRound tr = new TcpRound(r, r == 1, Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                                Cpu.of(s1.minus(s0), hz), Cpu.of(k1.minus(k0), hz), Machine.of(m1.minus(m0)));
                        rounds.add(tr);
                        progress(String.format(Locale.ROOT, "%s%s: %s %s: %.3f GB/s; CPU s/GiB source %s, sink %s",
                                what, tag, tr.warmup() ? "warm-up" : "round " + (r - 1), ByteSize.format(tr.bytes()),
                                tr.bytesPerS() / 1e9, tr.source().perGib(tr.bytes()).show(), tr.sink().perGib(tr.bytes()).show()));
                    }
                    expectExit(src, timeout);
                    expectExit(sink, timeout);
                } finally {
                    close(src);
                }
            } finally {
                close(sink);
            }
            if (!discard) {
                long m = Files.mismatch(source, image);
                matches = m == -1;
                if (m != -1) {
                    throw new IllegalStateException("the TCP sink's image differs from the source at byte " + m);
                }
            }
        } finally {
            Files.deleteIfExists(image);
            if (!keepLogs) {
                deleteTree(run);
            }
        }
        Cpu rusage = Cpu.children(ProcFs.self().minus(self0), hz);
        TcpRound best = rounds.stream().filter(r -> !r.warmup()).max(Comparator.comparingDouble(TcpRound::bytesPerS)).orElseThrow();
        return new TcpResult(discard, rounds, best, matches, rusage, srcW.peaks(), sinkW.peaks());
    }

    private TernRun runTern(TernConfig cfg, Path source, long bytes, String tag) throws Exception {
        requireDisk(bytes);
        Path run = Files.createTempDirectory(workDir, "tern-" + cfg.name() + "-" + bytes / MIB + "m-");
        Path image = run.resolve("image.img");
        Path stats = run.resolve("stats.jsonl");
        long timeout = timeoutMillis(bytes);
        ProcFs.CpuTicks self0 = ProcFs.self();
        long wall0 = System.nanoTime();
        AtomicReference<ProcSampler.Watch> senderW = new AtomicReference<>();
        AtomicReference<ProcSampler.Watch> receiverW = new AtomicReference<>();
        // Marks: [0] at the receiver's "iteration 1" line (the mark the sender sends as it starts timing
        // the bulk pass), [1] at the sender's "iteration 1 (bulk): ..." line (the pass is over).
        ProcFs.CpuTicks[][] marks = new ProcFs.CpuTicks[2][];
        ProcFs.MachineTicks[] machineMarks = new ProcFs.MachineTicks[2];
        List<List<Map<Long, ProcFs.ThreadTicks>>> threadMarks = new ArrayList<>(List.of(List.of(), List.of()));
        long[] markNanos = new long[2];
        ProcSampler.Peaks sp;
        ProcSampler.Peaks rp;
        ProcFs.CpuTicks senderLast;
        ProcFs.CpuTicks receiverLast;
        try (ProcSampler sampler = new ProcSampler(SAMPLE_MS)) {
            Child receiver = start("receiver", List.of(home.resolve("bin/tern-receiver").toString(),
                    "--listen", "127.0.0.1:0", "--image", image.toString()), run,
                    List.of(new Child.Hook(l -> l.startsWith("iteration 1 ("), l -> mark(marks, machineMarks, threadMarks, markNanos, 0, senderW, receiverW))),
                    false);
            try {
                int port = port(receiver);
                receiverW.set(sampler.watch("receiver", receiver.pid()));
                List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/tern-sender").toString(),
                        "--to", "127.0.0.1:" + port));
                if (cfg.fileSource()) {
                    cmd.addAll(List.of("--source", "file:" + source));
                } else {
                    cmd.addAll(List.of("--workload", "idle", "--memory", Long.toString(bytes), "--zero-fraction", "0"));
                }
                cmd.addAll(cfg.flags());
                cmd.addAll(List.of("--stats", stats.toString()));
                Child sender = start("sender", cmd, run,
                        List.of(new Child.Hook(l -> l.startsWith("iteration 1 (bulk)"), l -> mark(marks, machineMarks, threadMarks, markNanos, 1, senderW, receiverW))),
                        false);
                try {
                    senderW.set(sampler.watch("sender", sender.pid()));
                    progress("tern " + cfg.name() + tag + ": migrating " + ByteSize.format(bytes) + " ...");
                    expectExit(sender, timeout);
                    expectExit(receiver, timeout);
                } finally {
                    close(sender);
                }
            } finally {
                close(receiver);
            }
            sp = senderW.get().peaks();
            rp = receiverW.get().peaks();
            senderLast = senderW.get().lastCpu();
            receiverLast = receiverW.get().lastCpu();
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
            String first = lines.get(0);
            String summary = lines.get(lines.size() - 1);
            if (!"bulk".equals(jsonField(first, "phase")) || !"true".equals(jsonField(summary, "verified"))) {
                throw new IllegalStateException("tern " + cfg.name() + ": no verified migration with a bulk first line: "
                        + first + " / " + summary);
            }
            if (marks[0] == null || marks[1] == null) {
                throw new IllegalStateException("tern " + cfg.name() + ": the bulk pass's marks were not seen in the output");
            }
            long pages = bytes / PAGE_SIZE;
            TernRun t = new TernRun(cfg, bytes, pages, jsonLong(first, "bytes_on_wire"), jsonLong(first, "payload_bytes"),
                    Math.max(1, jsonLong(first, "duration_ms")), jsonLong(first, "pages_sent"), jsonLong(first, "pages_skipped"),
                    jsonLong(first, "pages_zero"), (markNanos[1] - markNanos[0]) / 1e9,
                    Cpu.of(marks[1][0].minus(marks[0][0]), hz), Cpu.of(marks[1][1].minus(marks[0][1]), hz),
                    Cpu.of(senderLast, hz), Cpu.of(receiverLast, hz), rusage, sp, rp, wall,
                    jsonLong(summary, "total_ms"), jsonLongOrNull(summary, "verify_ms"),
                    threads(threadMarks, 0), threads(threadMarks, 1), Machine.of(machineMarks[1].minus(machineMarks[0])));
            if (t.pagesSent() != pages || t.pagesZero() != 0) {
                notes.add("tern " + cfg.name() + " at " + ByteSize.format(bytes) + ": the bulk pass sent " + t.pagesSent()
                        + " of " + pages + " pages (" + t.pagesZero() + " zero, " + t.pagesSkipped() + " skipped)");
            }
            progress(String.format(Locale.ROOT, "tern %s%s: bulk pass %s on the wire in %d ms: %.3f GB/s;"
                            + " CPU s/GiB sender %s, receiver %s; whole run %.1f s, peak RssAnon sender %s, receiver %s",
                    cfg.name(), tag, ByteSize.format(t.bytesOnWire()), t.durationMs(), t.bytesPerS() / 1e9,
                    t.senderBulk().perGib(t.payloadBytes()).show(), t.receiverBulk().perGib(t.payloadBytes()).show(),
                    wall, ByteSize.format(sp.rssAnon()), ByteSize.format(rp.rssAnon())));
            return t;
        } finally {
            if (!keepLogs) {
                deleteTree(run);
            }
        }
    }

    /**
     * Reads both processes' CPU time at a mark (on a pump thread, as the line is read): first the
     * totals, then per thread (a few milliseconds more).
     */
    private static void mark(ProcFs.CpuTicks[][] marks, ProcFs.MachineTicks[] machineMarks,
                             List<List<Map<Long, ProcFs.ThreadTicks>>> threadMarks, long[] nanos, int i,
                             AtomicReference<ProcSampler.Watch> sender, AtomicReference<ProcSampler.Watch> receiver) {
        ProcSampler.Watch s = sender.get();
        ProcSampler.Watch r = receiver.get();
        nanos[i] = System.nanoTime();
        if (s != null && r != null) {
            marks[i] = new ProcFs.CpuTicks[] {s.cpuNow(), r.cpuNow()};
            machineMarks[i] = ProcFs.machine();
            threadMarks.set(i, List.of(ProcFs.readThreads(s.pid), ProcFs.readThreads(r.pid)));
        }
    }

    /** CPU seconds per kind of thread of one side ({@code side} 0 sender, 1 receiver) over the bulk window. */
    private Map<String, Cpu> threads(List<List<Map<Long, ProcFs.ThreadTicks>>> threadMarks, int side) {
        Map<String, Cpu> m = new LinkedHashMap<>();
        if (threadMarks.get(0).isEmpty() || threadMarks.get(1).isEmpty()) {
            return m;
        }
        ProcFs.threadDelta(threadMarks.get(0).get(side), threadMarks.get(1).get(side)).entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue()[0] + b.getValue()[1], a.getValue()[0] + a.getValue()[1]))
                .forEach(e -> m.put(e.getKey(), new Cpu(e.getValue()[0] / hz, e.getValue()[1] / hz)));
        return m;
    }

    // ------------------------------------------------------------------ report

    private Json report(long sizeBytes, long warm, LocalWrite local, TcpResult tcp, TcpResult discard, List<TernRun> terns,
                        List<TernRun> memory, List<LocalWrite> locals, List<TcpResult> tcps, List<TcpResult> discards,
                        List<List<TernRun>> allTerns) {
        double tcpBps = tcp.best().bytesPerS();
        TcpRound tb = tcp.best();
        Cpu tcpSrc = tb.source().perGib(tb.bytes());
        Cpu tcpSink = tb.sink().perGib(tb.bytes());
        StringBuilder b = new StringBuilder();
        b.append('\n').append(String.format(Locale.ROOT,
                "Throughput on loopback, %s image, ONE stream (Tern has no multi-stream yet), %d cores (%s)%n",
                ByteSize.format(sizeBytes), Runtime.getRuntime().availableProcessors(), cpuModel()));
        b.append(String.format(Locale.ROOT, "%-40s %7s %7s %8s | %-20s %6s | %-20s %6s | %s%n", "", "GB/s", "MiB/s", "x tcp",
                "sender CPU s/GiB", "x tcp", "receiver CPU s/GiB", "x tcp", "machine %"));
        b.append(String.format(Locale.ROOT, "%-40s %7s %7s %8s | %-20s %6s | %-20s %6s | %s%n", "", "", "", "",
                "total (user+sys)", "", "total (user+sys)", "", "busy/idle/iowait/steal"));
        row(b, "local pwrite only, no network", local.bytesPerS(), tcpBps, null, null, local.cpu().perGib(local.bytes()),
                tcpSink, local.machine());
        TcpRound db = discard.best();
        row(b, "tcp, sink discards (network only)", db.bytesPerS(), tcpBps, db.source().perGib(db.bytes()), tcpSrc,
                db.sink().perGib(db.bytes()), tcpSink, db.machine());
        row(b, "tcp raw ceiling (same reads+writes)", tcpBps, tcpBps, tcpSrc, tcpSrc, tcpSink, tcpSink, tb.machine());
        for (TernRun t : terns) {
            row(b, t.config().label(), t.bytesPerS(), tcpBps, t.senderBulk().perGib(t.payloadBytes()), tcpSrc,
                    t.receiverBulk().perGib(t.payloadBytes()), tcpSink, t.machine());
        }
        b.append("Tern: bulk pass = iteration 1 of --stats (bytes_on_wire / duration_ms); CPU over the same window. machine %:"
                + " all cores over the window (/proc/stat); steal = the host ran something else.\n");
        b.append("Whole Tern runs (JVM start to exit: + connection setup, the digest scans after the pass, root, verification):\n");
        b.append(String.format(Locale.ROOT, "%-40s %8s %8s | %-20s | %-20s | %s%n", "", "wall s", "bulk s",
                "sender CPU s/GiB", "receiver CPU s/GiB", "check: rusage children (s)"));
        for (TernRun t : terns) {
            b.append(String.format(Locale.ROOT, "%-40s %8.1f %8.1f | %-20s | %-20s | %.2f vs sampled %.2f%n",
                    t.config().label(), t.wallSeconds(), t.durationMs() / 1e3, t.senderWhole().perGib(t.imageBytes()).show(),
                    t.receiverWhole().perGib(t.imageBytes()).show(), t.rusage().total(),
                    t.senderWhole().total() + t.receiverWhole().total()));
        }
        b.append("Where each Tern side's bulk-pass CPU goes, by thread (CPU s per GiB moved, user+sys; # = any number):\n");
        for (TernRun t : terns) {
            b.append(String.format(Locale.ROOT, "  %s%n    sender:   %s%n    receiver: %s%n", t.config().label(),
                    threadLine(t.senderThreads(), t.payloadBytes()), threadLine(t.receiverThreads(), t.payloadBytes())));
        }
        if (!memory.isEmpty()) {
            b.append(String.format(Locale.ROOT, "%nPeak memory per GiB of image (tern digest sha256, sampled every %d ms;"
                    + " sender RSS includes the source's /dev/shm mapping, RssShmem)%n", SAMPLE_MS));
            b.append(String.format(Locale.ROOT, "%-8s %-8s %10s %10s %10s %10s | %11s %11s %11s | %7s%n", "image", "side",
                    "VmHWM MiB", "RSS MiB", "Anon MiB", "Shmem MiB", "HWM/GiB", "RSS/GiB", "Anon/GiB", "GB/s"));
            for (TernRun m : memory) {
                memRow(b, m, "sender", m.sender());
                memRow(b, m, "receiver", m.receiver());
            }
            if (memory.size() >= 2) {
                TernRun lo = memory.get(memory.size() - 2);
                TernRun hi = memory.get(memory.size() - 1);
                double g = (hi.imageBytes() - lo.imageBytes()) / (double) GIB;
                b.append(String.format(Locale.ROOT, "marginal per GiB (%s -> %s): sender VmHWM %.1f MiB, RssAnon %.1f MiB;"
                                + " receiver VmHWM %.1f MiB, RssAnon %.1f MiB%n",
                        ByteSize.format(lo.imageBytes()), ByteSize.format(hi.imageBytes()),
                        (hi.sender().vmHwm() - lo.sender().vmHwm()) / g / MIB, (hi.sender().rssAnon() - lo.sender().rssAnon()) / g / MIB,
                        (hi.receiver().vmHwm() - lo.receiver().vmHwm()) / g / MIB,
                        (hi.receiver().rssAnon() - lo.receiver().rssAnon()) / g / MIB));
            }
        }
        // The receiver stores with the same positional writes as the TCP sink: kernel time per GiB far above the
        // sink's means the page cache was slower to fill in that run, which is the machine, not Tern's own work.
        double sinkSys = tcpSink.sys();
        List<TernRun> all = new ArrayList<>(terns);
        all.addAll(memory);
        for (TernRun t : all) {
            double sys = t.receiverBulk().perGib(t.payloadBytes()).sys();
            if (sys > 2 * sinkSys + 0.2) {
                notes.add(String.format(Locale.ROOT, "%s at %s: the receiver's kernel time was %.2f s/GiB against the TCP"
                                + " sink's %.2f for the same writes: the image's page cache filled slower in that run (dirty"
                                + " data past the kernel's limits, or memory the host took back after it was freed and must"
                                + " fault in again); compare the local pwrite row", t.config().name(),
                        ByteSize.format(t.imageBytes()), sys, sinkSys));
            }
        }
        for (String n : notes) {
            b.append("note: ").append(n).append('\n');
        }
        System.out.print(b);
        System.out.flush();

        TernRun def = terns.stream().filter(t -> t.config().name().equals("digest-sha256")).findFirst().orElse(terns.get(0));
        Json j = Json.object()
                .put("tcp_bytes_per_s", Math.round(tcpBps))
                .put("tern_bytes_per_s", Math.round(def.bytesPerS()))
                .put("ratio", sig(def.bytesPerS() / tcpBps))
                .put("ratio_config", def.config().name())
                .put("streams", 1)
                .put("multi_stream", "not implemented in Tern yet: every figure is one TCP connection")
                .put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                .put("machine", machine())
                .put("jdk", Json.object().put("version", System.getProperty("java.version"))
                        .put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"))
                        .put("vendor", System.getProperty("java.vendor"))
                        .put("tern_java_opts", System.getenv("TERN_JAVA_OPTS") == null ? "(launcher default: -XX:+UseSerialGC -Xmn16m)"
                                : System.getenv("TERN_JAVA_OPTS")))
                .put("image_bytes", sizeBytes)
                .put("page_size", PAGE_SIZE)
                .put("buffer_bytes", buffer)
                .put("tcp_warmup_bytes", warm)
                .put("repeat", repeat)
                .put("cpu_method", "utime+stime from /proc/PID/stat (all threads), read at the run's marks; whole runs: last"
                        + " sample before exit (every " + SAMPLE_MS + " ms), checked against getrusage of reaped children"
                        + " (cutime+cstime of the benchmark process)")
                .put("local_pwrite", localJson(local))
                .put("tcp", tcpJson(tcp))
                .put("tcp_sink_discards", tcpJson(discard));
        List<Object> configs = new ArrayList<>();
        for (int i = 0; i < terns.size(); i++) {
            Json c = ternJson(terns.get(i), tcp);
            if (repeat > 1) {
                c.put("runs_bytes_per_s", allTerns.get(i).stream().map(t -> (Object) Math.round(t.bytesPerS())).toList());
            }
            configs.add(c);
        }
        j.put("tern", configs);
        j.put("selection", "each kind's fastest of " + repeat + " rounds");
        if (repeat > 1) {
            j.put("tcp_runs_bytes_per_s", tcps.stream().map(t -> (Object) Math.round(t.best().bytesPerS())).toList());
            j.put("local_pwrite_runs_bytes_per_s", locals.stream().map(l -> (Object) Math.round(l.bytesPerS())).toList());
            j.put("tcp_sink_discards_runs_bytes_per_s", discards.stream().map(t -> (Object) Math.round(t.best().bytesPerS())).toList());
        }
        List<Object> mem = new ArrayList<>();
        for (TernRun m : memory) {
            double g = m.imageBytes() / (double) GIB;
            mem.add(Json.object()
                    .put("image_bytes", m.imageBytes())
                    .put("config", m.config().name())
                    .put("bulk_bytes_per_s", Math.round(m.bytesPerS()))
                    .put("sender", peaksJson(m.sender(), g))
                    .put("receiver", peaksJson(m.receiver(), g))
                    .put("sender_bulk_cpu_s_per_gib", m.senderBulk().perGib(m.payloadBytes()).json())
                    .put("receiver_bulk_cpu_s_per_gib", m.receiverBulk().perGib(m.payloadBytes()).json())
                    .put("sender_bulk_cpu_s_per_gib_by_thread", threadsJson(m.senderThreads(), m.payloadBytes()))
                    .put("receiver_bulk_cpu_s_per_gib_by_thread", threadsJson(m.receiverThreads(), m.payloadBytes()))
                    .put("machine", m.machine().json())
                    .put("wall_seconds", m.wallSeconds()));
        }
        j.put("memory", mem);
        if (memory.size() >= 2) {
            TernRun lo = memory.get(memory.size() - 2);
            TernRun hi = memory.get(memory.size() - 1);
            double g = (hi.imageBytes() - lo.imageBytes()) / (double) GIB;
            j.put("memory_marginal_per_gib", Json.object()
                    .put("from_bytes", lo.imageBytes()).put("to_bytes", hi.imageBytes())
                    .put("sender_vm_hwm", Math.round((hi.sender().vmHwm() - lo.sender().vmHwm()) / g))
                    .put("sender_rss_anon", Math.round((hi.sender().rssAnon() - lo.sender().rssAnon()) / g))
                    .put("receiver_vm_hwm", Math.round((hi.receiver().vmHwm() - lo.receiver().vmHwm()) / g))
                    .put("receiver_rss_anon", Math.round((hi.receiver().rssAnon() - lo.receiver().rssAnon()) / g)));
        }
        j.put("notes", new ArrayList<Object>(notes));
        return j;
    }

    private static void row(StringBuilder b, String label, double bps, double tcpBps, Cpu sender, Cpu tcpSender, Cpu receiver,
                            Cpu tcpReceiver, Machine machine) {
        b.append(String.format(Locale.ROOT, "%-40s %7.3f %7.0f %8.2f | %-20s %6s | %-20s %6s | %s%n", label, bps / 1e9, bps / MIB,
                bps / tcpBps, sender == null ? "-" : sender.show(), sender == null ? "" : ratio(sender, tcpSender),
                receiver == null ? "-" : receiver.show(), receiver == null ? "" : ratio(receiver, tcpReceiver), machine.show()));
    }

    /** The busiest kinds of thread, "main 2.10 (1.90+0.20), ...", the rest summed. */
    private static String threadLine(Map<String, Cpu> threads, long bytes) {
        StringBuilder b = new StringBuilder();
        int shown = 0;
        double restU = 0;
        double restS = 0;
        for (Map.Entry<String, Cpu> e : threads.entrySet()) {
            Cpu c = e.getValue().perGib(bytes);
            if (shown < 5 && c.total() >= 0.01) {
                b.append(shown++ > 0 ? ", " : "").append(e.getKey()).append(' ').append(c.show());
            } else {
                restU += c.user();
                restS += c.sys();
            }
        }
        if (restU + restS > 0) {
            b.append(", other threads ").append(new Cpu(restU, restS).show());
        }
        return b.length() == 0 ? "(not measured)" : b.toString();
    }

    private static String ratio(Cpu a, Cpu b) {
        return b.total() <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a.total() / b.total());
    }

    private static void memRow(StringBuilder b, TernRun m, String side, ProcSampler.Peaks p) {
        double g = m.imageBytes() / (double) GIB;
        b.append(String.format(Locale.ROOT, "%-8s %-8s %10.1f %10.1f %10.1f %10.1f | %11.1f %11.1f %11.1f | %7s%n",
                side.equals("sender") ? ByteSize.format(m.imageBytes()) : "", side, p.vmHwm() / (double) MIB,
                p.rss() / (double) MIB, p.rssAnon() / (double) MIB, p.rssShmem() / (double) MIB, p.vmHwm() / g / MIB,
                p.rss() / g / MIB, p.rssAnon() / g / MIB,
                side.equals("sender") ? String.format(Locale.ROOT, "%.3f", m.bytesPerS() / 1e9) : ""));
    }

    private Json tcpJson(TcpResult t) {
        TcpRound best = t.best();
        List<Object> rounds = new ArrayList<>();
        for (TcpRound r : t.rounds()) {
            rounds.add(Json.object().put("round", r.round()).put("warmup", r.warmup()).put("bytes", r.bytes())
                    .put("nanos", r.nanos()).put("sink_nanos", r.sinkNanos()).put("bytes_per_s", Math.round(r.bytesPerS()))
                    .put("source_cpu_s", r.source().json()).put("sink_cpu_s", r.sink().json())
                    .put("machine", r.machine().json()));
        }
        return Json.object()
                .put("bytes_per_s", Math.round(best.bytesPerS()))
                .put("measured", "best of the rounds after the warm-up; from the first page copied to the sink's"
                        + " acknowledgement of its last write")
                .put("sink_writes_image", !t.discard())
                .put("image_matches_source", t.imageMatches())
                .put("machine", best.machine().json())
                .put("source_cpu_s_per_gib", best.source().perGib(best.bytes()).json())
                .put("sink_cpu_s_per_gib", best.sink().perGib(best.bytes()).json())
                .put("rounds", rounds)
                .put("rusage_children_cpu_s", t.rusage().json())
                .put("source_peaks", peaksJson(t.sourcePeaks(), -1))
                .put("sink_peaks", peaksJson(t.sinkPeaks(), -1));
    }

    private static Json localJson(LocalWrite l) {
        return Json.object().put("bytes", l.bytes()).put("bytes_per_s", Math.round(l.bytesPerS()))
                .put("cpu_s_per_gib", l.cpu().perGib(l.bytes()).json())
                .put("machine", l.machine().json())
                .put("what", "one thread: 256 KiB positional writes into a new sparse file in --dir (the image side alone)");
    }

    private static Json ternJson(TernRun t, TcpResult tcp) {
        TcpRound tb = tcp.best();
        Cpu s = t.senderBulk().perGib(t.payloadBytes());
        Cpu r = t.receiverBulk().perGib(t.payloadBytes());
        return Json.object()
                .put("config", t.config().name())
                .put("flags", String.join(" ", t.config().flags()))
                .put("source", t.config().fileSource() ? "file: in /dev/shm" : "workload idle --zero-fraction 0 (file: refuses this mode)")
                .put("bytes_per_s", Math.round(t.bytesPerS()))
                .put("payload_bytes_per_s", Math.round(t.payloadPerS()))
                .put("ratio", sig(t.bytesPerS() / tb.bytesPerS()))
                .put("bytes_on_wire", t.bytesOnWire())
                .put("payload_bytes", t.payloadBytes())
                .put("duration_ms", t.durationMs())
                .put("mark_window_s", t.markSeconds())
                .put("machine", t.machine().json())
                .put("pages", t.pages())
                .put("pages_sent", t.pagesSent())
                .put("pages_skipped", t.pagesSkipped())
                .put("pages_zero", t.pagesZero())
                .put("sender_bulk_cpu_s_per_gib", s.json())
                .put("receiver_bulk_cpu_s_per_gib", r.json())
                .put("sender_cpu_ratio_to_tcp", sig(s.total() / tb.source().perGib(tb.bytes()).total()))
                .put("receiver_cpu_ratio_to_tcp", sig(r.total() / tb.sink().perGib(tb.bytes()).total()))
                .put("sender_bulk_cpu_s_per_gib_by_thread", threadsJson(t.senderThreads(), t.payloadBytes()))
                .put("receiver_bulk_cpu_s_per_gib_by_thread", threadsJson(t.receiverThreads(), t.payloadBytes()))
                .put("sender_whole_run_cpu_s", t.senderWhole().json())
                .put("receiver_whole_run_cpu_s", t.receiverWhole().json())
                .put("rusage_children_cpu_s", t.rusage().json())
                .put("wall_seconds", t.wallSeconds())
                .put("total_ms", t.totalMs())
                .put("verify_ms", t.verifyMs())
                .put("sender_peaks", peaksJson(t.sender(), t.imageBytes() / (double) GIB))
                .put("receiver_peaks", peaksJson(t.receiver(), t.imageBytes() / (double) GIB));
    }

    /** Four significant digits (Json writes a double with three decimals, too few for a small ratio). */
    static Object sig(double v) {
        return Double.isFinite(v) ? new java.math.BigDecimal(v).round(new java.math.MathContext(4)) : null;
    }

    private static Json threadsJson(Map<String, Cpu> threads, long bytes) {
        Json j = Json.object();
        threads.forEach((k, v) -> j.put(k, v.perGib(bytes).json()));
        return j;
    }

    private static Json peaksJson(ProcSampler.Peaks p, double gib) {
        Json j = Json.object().put("vm_hwm", p.vmHwm()).put("peak_rss", p.rss()).put("peak_rss_anon", p.rssAnon())
                .put("peak_rss_file", p.rssFile()).put("peak_rss_shmem", p.rssShmem()).put("samples", p.samples());
        if (gib > 0) {
            j.put("vm_hwm_per_gib", Math.round(p.vmHwm() / gib)).put("peak_rss_per_gib", Math.round(p.rss() / gib))
                    .put("peak_rss_anon_per_gib", Math.round(p.rssAnon() / gib));
        }
        return j;
    }

    private Json machine() {
        Json m = Json.object().put("cores", Runtime.getRuntime().availableProcessors()).put("cpu_model", cpuModel());
        try {
            String total = ProcFs.field(Files.readAllLines(Path.of("/proc/meminfo")), "MemTotal");
            m.put("mem_total_bytes", total == null ? null : Long.parseLong(total.replace("kB", "").trim()) * 1024);
        } catch (IOException | NumberFormatException e) {
            m.put("mem_total_bytes", null);
        }
        return m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
                .put("image_fs", fsType(dir)).put("source_fs", fsType(shm));
    }

    private static String cpuModel() {
        try {
            String v = ProcFs.field(Files.readAllLines(Path.of("/proc/cpuinfo")), "model name");
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ------------------------------------------------------------------ helpers

    private List<TernConfig> selectConfigs() {
        if (ternConfigs == null || ternConfigs.isEmpty()) {
            return CONFIGS;
        }
        List<TernConfig> l = new ArrayList<>();
        for (String n : ternConfigs) {
            l.add(CONFIGS.stream().filter(c -> c.name().equals(n.trim())).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("--tern-configs: unknown '" + n + "' (known: "
                            + String.join(", ", CONFIGS.stream().map(TernConfig::name).toList()) + ")")));
        }
        return l;
    }

    /** "1GiB,4GiB" to sizes in bytes; "none" or "" to none. */
    static List<Long> parseSizes(String text) {
        List<Long> l = new ArrayList<>();
        if (text.isBlank() || text.trim().equalsIgnoreCase("none")) {
            return l;
        }
        for (String s : text.split(",")) {
            long v = ByteSize.parse(s.trim());
            checkSize("--rss-sizes", v);
            l.add(v);
        }
        return l;
    }

    static void checkSize(String option, long v) {
        if (v < MIB || v % PAGE_SIZE != 0) {
            throw new IllegalArgumentException(option + " " + v + ": at least 1 MiB and a whole number of 4 KiB pages");
        }
        if (v / PAGE_SIZE > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " " + ByteSize.format(v) + ": more pages than Tern supports");
        }
    }

    /** The value of a flat JSON object's field as text (strings without quotes), or null. */
    static String jsonField(String line, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}]*)").matcher(line);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2) : m.group(1).trim();
    }

    static long jsonLong(String line, String key) {
        String v = jsonField(line, key);
        if (v == null || v.equals("null")) {
            throw new IllegalStateException("no " + key + " in " + line);
        }
        return Long.parseLong(v);
    }

    static Long jsonLongOrNull(String line, String key) {
        String v = jsonField(line, key);
        return v == null || v.equals("null") ? null : Long.parseLong(v);
    }

    /** Room for a source of {@code bytes} in --shm (plus {@code anon} more in memory) and an image as large in --dir. */
    private void requireRoom(long bytes, long anon, String option) throws IOException {
        long shmFree = Files.getFileStore(shm).getUsableSpace();
        long margin = 64 * MIB;
        if (shmFree < bytes + margin) {
            throw new IllegalStateException(String.format(Locale.ROOT, "not enough free memory in %s for a %s source"
                            + " (%s): %s free there; free some, pass a smaller %s, or another --shm",
                    shm, ByteSize.format(bytes), option, ByteSize.format(shmFree), option));
        }
        long avail = ProcFs.memAvailable();
        long need = bytes + anon + 2 * GIB; // the source, a workload's memory, two JVMs and some page cache
        if (avail >= 0 && avail < need) {
            throw new IllegalStateException(String.format(Locale.ROOT, "not enough available memory for a %s source"
                            + " (%s): MemAvailable %s, need about %s (source in %s%s, two JVMs); pass a smaller %s",
                    ByteSize.format(bytes), option, ByteSize.format(avail), ByteSize.format(need), shm,
                    anon > 0 ? ", the idle workload's memory" : "", option));
        }
        requireDisk(bytes);
    }

    private void requireDisk(long bytes) throws IOException {
        Path where = workDir != null ? workDir : dir;
        long free = Files.getFileStore(where).getUsableSpace();
        if (free < bytes + 256 * MIB) {
            throw new IllegalStateException(String.format(Locale.ROOT, "not enough free disk in %s for a %s image: %s free;"
                    + " pass another --dir or a smaller size", where, ByteSize.format(bytes), ByteSize.format(free)));
        }
    }

    /** Seeded pseudo-random non-zero words, 1 MiB at a time: every page is non-zero and differs from the others. */
    private void fill(Path file, long bytes, long seed) throws IOException {
        long s = System.nanoTime();
        progress("filling " + file + " with " + ByteSize.format(bytes) + " of pseudo-random pages ...");
        try {
            SourceFiles.fillRandom(file, bytes, seed);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw new IOException("filling " + file + " failed after a part of " + ByteSize.format(bytes) + ": " + e.getMessage()
                    + " (is " + shm + " full?)", e);
        }
        progress(String.format(Locale.ROOT, "filled in %.1f s", (System.nanoTime() - s) / 1e9));
    }

    private Child start(String name, List<String> cmd, Path run, List<Child.Hook> hooks, boolean stdin) throws IOException {
        Child c = Child.start(name, cmd, run, hooks, stdin);
        live.add(c);
        return c;
    }

    private void close(Child c) throws InterruptedException {
        live.remove(c);
        c.close();
    }

    private static int port(Child c) throws IOException, InterruptedException {
        String l = c.awaitLine(s -> s.startsWith("listening on "), "'listening on' line", 120_000);
        Matcher m = LISTENING.matcher(l);
        if (!m.matches()) {
            throw new IOException(c.name() + ": unexpected first line: " + l);
        }
        return Integer.parseInt(m.group(1));
    }

    private static void expectExit(Child c, long timeout) throws IOException, InterruptedException {
        int code = c.awaitExit(timeout);
        if (code != 0) {
            throw new IOException(c.name() + " exited with " + code + c.tail());
        }
    }

    /** Generous: 5 minutes plus 5 MB/s. */
    private static long timeoutMillis(long bytes) {
        return 300_000 + bytes / 5_000;
    }

    private List<String> launch(String module, String mainClass, String... args) {
        List<String> l = new ArrayList<>(List.of(home.resolve("bin/tern-launch").toString(), module, "--main", mainClass));
        l.addAll(List.of(args));
        return l;
    }

    private static Path findHome() throws Exception {
        String env = System.getenv("TERN_BENCH_HOME");
        Path h;
        if (env != null && !env.isBlank()) {
            h = Path.of(env);
        } else {
            // sender/target/tern-sender.jar -> the repository
            Path jar = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            h = jar.getParent().getParent().getParent();
        }
        for (String t : List.of("bin/tern-launch", "bin/tern-sender", "bin/tern-receiver")) {
            if (!Files.isExecutable(h.resolve(t))) {
                throw new IllegalStateException(h.resolve(t) + " is missing or not executable (TERN_BENCH_HOME=" + env + ")");
            }
        }
        for (String m : List.of("sender", "receiver")) {
            if (!Files.isRegularFile(h.resolve(m + "/target/tern-" + m + ".jar"))) {
                throw new IllegalStateException(h.resolve(m + "/target/tern-" + m + ".jar") + " is missing; build first:"
                        + " (cd " + h + " && ./mvnw -q package -DskipTests)");
            }
        }
        return h.toAbsolutePath().normalize();
    }

    /** USER_HZ, the unit of /proc/PID/stat's times (100 on Linux/x86 whatever the kernel's HZ). */
    private static double clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Double.parseDouble(v);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    private static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static <T> T fastest(List<T> runs, java.util.function.ToDoubleFunction<T> key) {
        return runs.stream().max(Comparator.comparingDouble(key)).orElseThrow();
    }

    private void progress(String line) {
        System.out.println(String.format(Locale.ROOT, "[%6.1fs] ", (System.nanoTime() - t0) / 1e9) + line);
        System.out.flush();
    }

    /** Kills what still runs and deletes the sources and images (and the logs unless --keep-logs). */
    private void cleanUp() {
        for (Child c : live) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        live.clear();
        if (shmDir != null) {
            deleteTree(shmDir);
        }
        if (workDir != null) {
            if (keepLogs) {
                deleteImages(workDir);
            } else {
                deleteTree(workDir);
            }
        }
    }

    private static void deleteImages(Path root) {
        try (var s = Files.walk(root)) {
            s.filter(p -> p.getFileName().toString().endsWith(".img")).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort; reported by what is left
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
