package tern.lab.bench;

import static tern.lab.bench.BenchConstants.GIB;
import static tern.lab.bench.BenchConstants.MIB;
import static tern.lab.bench.BenchConstants.PAGE_SIZE;
import static tern.lab.bench.BenchConstants.SEED;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.StartupChecks;
import tern.common.cli.VerboseOption;
import tern.common.stats.Json;
import tern.common.units.ByteSize;
import tern.common.units.Converters;
import tern.lab.process.ProcessGroup;
import tern.lab.process.TernHome;

/**
 * tern-bench: on loopback, in one run and side by side, the raw-TCP ceiling (two warmed-up JVM
 * processes, {@link TcpSource} and tern.lab.bench.TcpSink, reading the same kind of source
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
 *
 * <p>This class reads the options and runs the parts in order: {@link TcpCeiling} and
 * {@link TernRuns} for throughput, {@link MemoryRuns}, then {@link BenchReport} and
 * {@link BenchJson}; {@link Scratch} and a {@link ProcessGroup} hold what must be cleaned up.
 */
@Command(name = "tern-bench", mixinStandardHelpOptions = true, version = "tern-bench 0.1", sortOptions = false,
        description = {"Loopback benchmark: the raw-TCP ceiling vs Tern's bulk pass, CPU per GiB on each side,"
                + " and peak memory per GiB of image.",
                "Sources are files of non-zero pseudo-random pages in --shm; images are new sparse files in --dir."})
public final class BenchMain implements Callable<Integer> {
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

    @Option(names = "--alloc",
            description = "Also profile allocation: one more digest-sha256 run of --size with JFR in both processes;"
                    + " prints the bytes allocated per page on each side's page path and where.")
    boolean alloc;

    @Option(names = "--keep-logs", description = "Keep the processes' output (images are always deleted).")
    boolean keepLogs;

    @Mixin
    VerboseOption verbose;

    private final Progress progress = new Progress();
    private final List<String> notes = new ArrayList<>();
    private Scratch scratch;
    private ProcessGroup processes;

    public static void main(String[] args) {
        System.exit(Cli.run(new BenchMain(), args));
    }

    private AllocationRun allocation;

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
        List<TernConfig> configs = TernConfig.select(ternConfigs);
        processes = new ProcessGroup(TernHome.find(), dir); // each process runs in its run's directory
        if (!Files.isDirectory(dir) || !Files.isDirectory(shm)) {
            throw new IllegalArgumentException((Files.isDirectory(dir) ? "--shm " + shm : "--dir " + dir) + " is not a directory");
        }
        StartupChecks.writableDirectory("--dir", dir);
        StartupChecks.writableDirectory("--shm", shm);
        if (out != null) {
            // written after the whole run: found unwritable now, not then
            StartupChecks.writableDirectory("--out", out.toAbsolutePath().getParent());
        }
        double hz = MachineFacts.clockTicks();
        scratch = new Scratch(dir, shm, keepLogs, progress);
        // Check the biggest needs up front, so that a long run does not fail half-way.
        long biggest = rss.stream().mapToLong(Long::longValue).max().orElse(0);
        boolean workloadConfigs = configs.stream().anyMatch(c -> !c.fileSource());
        scratch.requireRoom(sizeBytes, workloadConfigs ? sizeBytes : 0, "--size");
        if (biggest > 0) {
            scratch.requireRoom(biggest, 0, "--rss-sizes");
        }

        Thread cleanup = new Thread(this::cleanUp, "tern-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        scratch.create();
        Json result;
        try {
            progress.line("tern-bench: images in " + scratch.workDir() + " (" + MachineFacts.fsType(scratch.workDir())
                    + "), sources in " + scratch.shmDir() + " (" + MachineFacts.fsType(scratch.shmDir()) + "); "
                    + MachineFacts.cores() + " cores, " + System.getProperty("java.version"));
            TcpCeiling ceiling = new TcpCeiling(processes, scratch, progress, buffer, tcpRounds, hz);
            TernRuns tern = new TernRuns(processes, scratch, progress, notes, hz);
            Throughput throughput = throughput(ceiling, tern, configs, sizeBytes, warm);
            List<TernRun> memory = new MemoryRuns(tern, scratch).run(rss);
            addMethodNotes(configs, warm);
            notes.addAll(BenchReport.slowPageCacheNotes(throughput, memory));
            BenchResults results = new BenchResults(sizeBytes, warm, buffer, repeat, throughput, memory, notes);
            System.out.print(BenchReport.text(results));
            if (allocation != null) {
                System.out.print(allocation.text());
            }
            System.out.flush();
            result = BenchJson.of(results, dir, shm);
            if (allocation != null) {
                result.put("allocation", allocation.json());
            }
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
            progress.line("written " + out.toAbsolutePath());
        }
        return 0;
    }

    /**
     * {@code --repeat} rounds of every throughput run on one source file: local write, TCP, TCP
     * with the sink discarding, then each Tern configuration.
     */
    private Throughput throughput(TcpCeiling ceiling, TernRuns tern, List<TernConfig> configs, long sizeBytes, long warm)
            throws Exception {
        Path source = scratch.shmDir().resolve("source.ram");
        List<LocalWrite> locals = new ArrayList<>();
        List<TcpResult> tcps = new ArrayList<>();
        List<TcpResult> discards = new ArrayList<>();
        List<List<TernRun>> terns = new ArrayList<>();
        configs.forEach(c -> terns.add(new ArrayList<>()));
        try {
            scratch.fill(source, sizeBytes, SEED);
            for (int rep = 1; rep <= repeat; rep++) {
                String r = repeat > 1 ? " [" + rep + "/" + repeat + "]" : "";
                locals.add(ceiling.localWrite(sizeBytes, warm, r));
                tcps.add(ceiling.tcp(source, sizeBytes, warm, false, r));
                discards.add(ceiling.tcp(source, sizeBytes, warm, true, r));
                for (int i = 0; i < configs.size(); i++) {
                    TernConfig c = configs.get(i);
                    terns.get(i).add(tern.run(c, c.fileSource() ? source : null, sizeBytes, r));
                }
            }
            if (alloc) {
                allocation = AllocationRun.run(tern, scratch, source, sizeBytes);
            }
        } finally {
            Files.deleteIfExists(source);
        }
        return new Throughput(locals, tcps, discards, terns);
    }

    /** What every reader of the figures must know about how they were taken. */
    private void addMethodNotes(List<TernConfig> configs, long warm) {
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
                + (configs.stream().anyMatch(TernConfig::warm) ? " (**) Warm Tern runs: the same pair of processes"
                + " migrated the same image once before (receiver --keep-serving, the sender's two migrations in one"
                + " JVM); the second migration's bulk pass is measured, as TCP's warm transfers are." : "")
                + (repeat > 1 ? " Each row is the fastest of " + repeat + " rounds (all in the JSON)." : ""));
        notes.add("CPU: utime+stime of each process (all threads) from /proc/PID/stat at the run's marks; Tern's bulk"
                + " window is from the receiver's line for iteration 1's mark to the sender's line for the end of"
                + " iteration 1 (the span duration_ms times); per GiB of image bytes moved (payload).");
    }

    /** Kills what still runs and deletes the sources and images (and the logs unless --keep-logs). */
    private void cleanUp() {
        try {
            processes.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scratch.cleanUp();
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
}
