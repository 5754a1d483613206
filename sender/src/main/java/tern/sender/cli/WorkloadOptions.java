package tern.sender.cli;

import picocli.CommandLine.Option;
import tern.common.page.PageGeometry;
import tern.common.units.Converters;
import tern.sender.workload.Pacing;
import tern.sender.workload.Workloads;

/** The in-process workload's options (and the page size, which a file source takes too): tern-sender and tern-trial. */
public final class WorkloadOptions {
    @Option(names = "--memory", paramLabel = "SIZE", converter = Converters.Size.class,
            description = "Workload memory (default: 256MiB for a pattern; a model's own, 64MiB; a trace's own).")
    Long memory;

    @Option(names = "--page-size", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "4096",
            description = "Page size (default: ${DEFAULT-VALUE}).")
    long pageSize;

    @Option(names = "--dirty-rate", paramLabel = "PAGES/s",
            description = "Workload stores (a model's page visits) per second with --pacing wall (default: 4096;"
                    + " a model's own).")
    Double dirtyRate;

    @Option(names = "--pacing", paramLabel = "wall|N/page", defaultValue = "wall",
            description = "wall: a writer thread at --dirty-rate; N/page: N stores after each page captured,"
                    + " deterministic for a seed (default: ${DEFAULT-VALUE}).")
    String pacing;

    @Option(names = "--silent-fraction", defaultValue = "0.5",
            description = "Share of silent stores for --workload mixed (default: ${DEFAULT-VALUE}).")
    double silentFraction;

    @Option(names = "--zero-fraction",
            description = "Share of workload pages that start all zero (default: 0.25; a model's own).")
    Double zeroFraction;

    @Option(names = "--seed", defaultValue = "1", description = "Workload seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--trace-speed", defaultValue = "1",
            description = "Replay speed of --workload trace:FILE relative to its recorded pace (default: ${DEFAULT-VALUE}).")
    double traceSpeed;

    /** --page-size, checked. */
    public int pageSize() {
        if (!PageGeometry.validPageSize(pageSize)) {
            throw new IllegalArgumentException("--page-size " + pageSize + " is not a power of two in 512..65536");
        }
        return (int) pageSize;
    }

    /** What names the workload's memory in a usage error: --memory, or the default it took. */
    public String memoryOption() {
        return memory != null ? "--memory" : "the workload's memory (its default; --memory sets it)";
    }

    /** What --workload {@code name} opens, with these settings. */
    public Workloads workloads(String name) {
        return new Workloads(name, memory, pageSize(), Pacing.parse(pacing), dirtyRate, silentFraction, zeroFraction, seed,
                traceSpeed);
    }
}
