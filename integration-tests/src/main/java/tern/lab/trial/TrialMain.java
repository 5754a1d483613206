package tern.lab.trial;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.Cli;
import tern.common.cli.MemoryBudget;
import tern.common.cli.StartupChecks;
import tern.common.cli.HostPort;
import tern.common.cli.VerboseOption;
import tern.common.page.PageGeometry;
import tern.common.units.ByteSize;
import tern.sender.cli.EngineOptions;
import tern.sender.cli.SwitchoverOptions;
import tern.sender.cli.WorkloadOptions;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineFootprint;
import tern.sender.workload.Workloads;

/**
 * bin/tern-trial: one workload, same seed, memory and pace, migrated once per mode and encoding;
 * per-iteration tables, a summary side by side, CSV, JSON and a chart (docs/trials.md).
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

    @Mixin
    WorkloadOptions workloadOptions;

    @Option(names = "--record-trace", paramLabel = "FILE",
            description = "Write the first run's stores as a trace (FILE.gz: compressed), for --workload trace:FILE.")
    Path recordTrace;

    /** The seed's set-up: 32 MiB/s (and a 300 ms downtime limit). */
    @Mixin
    EngineOptions engine = new EngineOptions(new SwitchoverOptions("32MiB"));

    @Option(names = "--quiet", description = "Only the summary table.")
    boolean quiet;

    @Mixin
    VerboseOption verbose;

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

    TrialSettings settings() throws IOException {
        Workloads w = workloadOptions.workloads(workload);
        EngineConfig cfg = engine.config("tern-trial-" + Long.toHexString(System.currentTimeMillis()), w.pageSize()).build();
        String dirName = "trial-" + workload.replaceAll("[^A-Za-z0-9._-]", "_");
        List<TrialVariant> variants = TrialVariant.parseList(runs);
        Path outDir = out != null ? out : Path.of(dirName);
        preflight(w, cfg, variants, outDir);
        return new TrialSettings(w, cfg, variants, to, outDir, recordTrace);
    }

    /**
     * Before the first run: the paths the trial writes, and the memory one run allocates (the
     * workload, the engine's per-page state and XBZRLE cache, the embedded receiver's table) against
     * what this JVM can give. The runs go one after another, each freeing what it took.
     */
    private void preflight(Workloads w, EngineConfig cfg, List<TrialVariant> variants, Path outDir) throws IOException {
        StartupChecks.writableDirectory("--out", outDir);
        if (recordTrace != null) {
            StartupChecks.writableFile("--record-trace", recordTrace);
        }
        PageGeometry g = w.geometry();
        boolean xbzrle = variants.stream().anyMatch(TrialVariant::xbzrle);
        EngineConfig largest = cfg.toBuilder().audit(true).xbzrle(xbzrle).build();
        EngineFootprint f = EngineFootprint.of(g, largest, true, false);
        MemoryBudget budget = MemoryBudget.here().direct(workloadOptions.memoryOption(), g.bytes())
                .heap("the sender's per-page state for " + g.pageCount() + " pages", f.heapBytes());
        if (xbzrle) {
            budget.direct("--xbzrle-cache", f.directBytes());
        }
        if (to == null) {
            budget.heap("the embedded receiver's digest table", g.pageCount() * cfg.digest().length());
        }
        budget.check();
    }
}
