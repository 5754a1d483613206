package tern.lab.trial;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.HostPort;
import tern.common.digest.DigestKind;
import tern.common.units.ByteSize;
import tern.common.units.Converters;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.Mode;
import tern.sender.workload.Pacing;
import tern.sender.workload.Workloads;

/**
 * bin/tern-trial: one workload, same seed, memory and pace, migrated once per mode and encoding;
 * per-iteration tables, a summary side by side, CSV, JSON and a chart (README, "Trials").
 */
@Command(name = "tern-trial", mixinStandardHelpOptions = true, version = "tern-trial 0.1", sortOptions = false,
        description = "Migrates the same workload once per mode and encoding and compares them side by side.")
public final class TrialMain implements Callable<Integer> {
    @Option(names = "--workload", required = true, paramLabel = "NAME",
            description = "A model (idle, webserver, kernel-compile, memcached, zeusmp, bzip2, mcf, milc, bwaves),"
                    + " a pattern (uniform, silent, hotset, mixed) or trace:FILE.")
    String workload;

    @Option(names = "--runs", paramLabel = "LIST", defaultValue = TrialVariant.DEFAULT_RUNS,
            description = "MODE or MODE+xbzrle, comma separated (default: ${DEFAULT-VALUE}).")
    String runs;

    @Option(names = "--out", paramLabel = "DIR", description = "Where CSV, JSON and the chart go (default: trial-WORKLOAD).")
    Path out;

    @Option(names = "--to", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "A tern-receiver --keep-serving (default: a receiver embedded on loopback).")
    InetSocketAddress to;

    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Workload memory (default: the model's, 64MiB; 256MiB for a pattern; a trace's own).")
    Long memory;

    @Option(names = "--page-size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "4096",
            description = "Page size (default: ${DEFAULT-VALUE}).")
    long pageSize;

    @Option(names = "--bandwidth", paramLabel = "SIZE/s", defaultValue = "32MiB",
            description = "Cap on wire bytes per second, 0 for none (default: ${DEFAULT-VALUE}, the seed's).")
    String bandwidth;

    @Option(names = "--downtime-limit", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "300ms",
            description = "Switch over when what remains fits this (default: ${DEFAULT-VALUE}, the seed's).")
    Duration downtimeLimit;

    @Option(names = "--max-iterations", defaultValue = "30",
            description = "Iterations before a forced stop-and-copy (default: ${DEFAULT-VALUE}).")
    int maxIterations;

    @Option(names = "--max-time", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "Time per run before a forced stop-and-copy (default: none).")
    Duration maxTime;

    @Option(names = "--pacing", paramLabel = "wall|N/page", defaultValue = "wall",
            description = "wall: the workload's own pace; N/page: N visits after each captured page, deterministic"
                    + " (default: ${DEFAULT-VALUE}).")
    String pacing;

    @Option(names = "--dirty-rate", paramLabel = "N/s",
            description = "Visits per second with --pacing wall (default: the model's own; 4096 for a pattern).")
    Double dirtyRate;

    @Option(names = "--silent-fraction", defaultValue = "0.5", description = "For --workload mixed (default: ${DEFAULT-VALUE}).")
    double silentFraction;

    @Option(names = "--zero-fraction", description = "Share of pages that start all zero (default: the model's own).")
    Double zeroFraction;

    @Option(names = "--seed", defaultValue = "1", description = "Workload seed, the same for every run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--trace-speed", defaultValue = "1",
            description = "Replay speed of trace:FILE relative to its recorded pace (default: ${DEFAULT-VALUE}).")
    double traceSpeed;

    @Option(names = "--record-trace", paramLabel = "FILE",
            description = "Write the first run's stores as a trace (FILE.gz: compressed), for --workload trace:FILE.")
    Path recordTrace;

    @Option(names = "--digest", defaultValue = "sha256", description = "sha1, sha256, blake3 or xxh3-128 (default: ${DEFAULT-VALUE}).")
    String digest;

    @Option(names = "--xbzrle-cache", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "64MiB",
            description = "XBZRLE cache of the +xbzrle runs (default: ${DEFAULT-VALUE}).")
    long xbzrleCache;

    @Option(names = "--quiet", description = "Only the summary table.")
    boolean quiet;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(Cli.run(new TrialMain(), args));
    }

    @Override
    public Integer call() throws Exception {
        TrialSettings t = settings();
        PrintStream stdout = System.out;
        TrialRunner runner = new TrialRunner(t, quiet ? null : stdout);
        runner.warmUp();
        List<TrialRun> results = runner.run();
        stdout.println();
        stdout.println("trial " + workload + ": " + results.get(0).summary().source().replace("workload ", "")
                + ", " + (t.engine().bandwidthBytesPerSecond() == 0 ? "no bandwidth cap"
                : ByteSize.format(t.engine().bandwidthBytesPerSecond()) + "/s") + ", downtime limit "
                + t.engine().downtimeLimit().toMillis() + " ms");
        TrialTables.summary(stdout, results);
        TrialFiles.write(t.out(), results, t);
        TrialChart.write(t.out().resolve("trial.png"), title(t, results), results);
        stdout.println("wrote " + t.out().resolve("summary.json") + ", summary.csv, iterations.json, iterations.csv, trial.png"
                + (t.recordTrace() != null ? "; trace " + t.recordTrace() : ""));
        return results.stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    private String title(TrialSettings t, List<TrialRun> runs) {
        long bytes = runs.get(0).summary().pagesTotal() * runs.get(0).summary().pageSize();
        return String.format(Locale.ROOT, "%s, %s, %s, downtime limit %d ms", workload, ByteSize.format(bytes),
                t.engine().bandwidthBytesPerSecond() == 0 ? "no bandwidth cap" : ByteSize.format(t.engine().bandwidthBytesPerSecond()) + "/s",
                t.engine().downtimeLimit().toMillis());
    }

    TrialSettings settings() {
        long bw = bandwidth.equals("0") ? 0 : ByteSize.parse(bandwidth.replaceAll("(?i)/s$", ""));
        if (xbzrleCache < pageSize) {
            throw new IllegalArgumentException("--xbzrle-cache " + xbzrleCache + " holds not even one page");
        }
        EngineConfig engine = new EngineConfig("tern-trial-" + Long.toHexString(System.currentTimeMillis()), Mode.DIGEST,
                DigestKind.fromCliName(digest), true, false, xbzrleCache, 64, 16, bw, downtimeLimit, maxIterations,
                maxTime, EngineConfig.OnNoConvergence.FORCE, EngineConfig.AfterSuccess.STAY_PAUSED);
        Workloads w = new Workloads(workload, memory, Math.toIntExact(pageSize), Pacing.parse(pacing), dirtyRate,
                silentFraction, zeroFraction, seed, traceSpeed);
        String dirName = "trial-" + workload.replaceAll("[^A-Za-z0-9._-]", "_");
        return new TrialSettings(w, engine, TrialVariant.parseList(runs), to, out != null ? out : Path.of(dirName),
                recordTrace);
    }
}
