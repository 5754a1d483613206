package tern.lab.trial;

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
import tern.common.cli.HostPort;
import tern.common.cli.VerboseOption;
import tern.common.units.ByteSize;
import tern.sender.cli.EngineOptions;
import tern.sender.cli.SwitchoverOptions;
import tern.sender.cli.WorkloadOptions;
import tern.sender.engine.EngineConfig;
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

    TrialSettings settings() {
        Workloads w = workloadOptions.workloads(workload);
        EngineConfig cfg = engine.config("tern-trial-" + Long.toHexString(System.currentTimeMillis()), w.pageSize()).build();
        String dirName = "trial-" + workload.replaceAll("[^A-Za-z0-9._-]", "_");
        return new TrialSettings(w, cfg, TrialVariant.parseList(runs), to, out != null ? out : Path.of(dirName), recordTrace);
    }
}
