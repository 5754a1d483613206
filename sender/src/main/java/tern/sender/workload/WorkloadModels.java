package tern.sender.workload;

import static tern.sender.workload.Region.Access.RANDOM;
import static tern.sender.workload.Region.Access.SWEEP;

import java.util.List;
import java.util.Optional;

/**
 * The seed's workloads as parameter sets (docs/workloads.md). Rates are visits per second at the
 * default memory; each region's {@code sameValue} is the chance that one store leaves its cache
 * lines as they were, a property of the program's data. How many of an iteration's dirty pages
 * are false dirty then follows from how often each page is visited between two captures, which
 * depends on the bandwidth, the mode and the memory size: it is measured, not set.
 */
public final class WorkloadModels {
    private static final long MIB = 1L << 20;

    private WorkloadModels() {
    }

    public static final List<WorkloadModel> ALL = List.of(
            model("idle",
                    "An idle guest: mostly free (zero) memory and no stores, so only the bulk copy has work;"
                            + " with --dirty-rate, timers and bookkeeping touch a few pages with new values.",
                    0.6, 0, Phase.forever(
                            new Region("kernel timers and statistics", 0.0, 0.01, 1, RANDOM, 1, 0.0, 0.0))),
            model("webserver",
                    "Static content served from the page cache: rare writes to request buffers and logs, mostly new bytes.",
                    0.3, 600, Phase.forever(
                            new Region("request and response buffers", 0.0, 0.04, 0.7, RANDOM, 8, 0.1, 0.0),
                            new Region("access log, appended", 0.04, 0.02, 0.3, SWEEP, 2, 0.0, 0.0))),
            model("kernel-compile",
                    "make -j: compilers fill free memory with new pages early (objects, page cache), later rewrite"
                            + " their heaps with few silent stores.",
                    0.5, 6000,
                    new Phase(0.5, List.of(
                            new Region("page cache and objects, new pages", 0.5, 0.5, 1, SWEEP, 64, 0.0, 0.0))),
                    Phase.forever(
                            new Region("compiler heaps", 0.0, 0.4, 0.8, RANDOM, 16, 0.1, 0.0),
                            new Region("page cache, new files", 0.5, 0.5, 0.2, SWEEP, 64, 0.0, 0.0))),
            model("memcached",
                    "A filled cache; a client sets 1 KiB items at random at a constant rate, a share of them to the"
                            + " value they already hold, while the LRU links and statistics change on every request.",
                    0.2, 13_000, Phase.forever(
                            new Region("slab items, 1 KiB values", 0.0, 0.75, 0.9, RANDOM, 16, 0.6, 0.0),
                            new Region("LRU links, hash chains, statistics", 0.75, 0.03, 0.1, RANDOM, 1, 0.0, 0.0))),
            model("zeusmp",
                    "Hydrodynamics on a 3-D grid: every time step rewrites the field arrays in passes; the quiescent"
                            + " part of the grid is recomputed to the values it held, and many cells elsewhere too.",
                    0.2, 16_000, Phase.forever(
                            new Region("field arrays, swept each time step", 0.0, 0.7, 0.9, SWEEP, 32, 0.6, 0.5),
                            new Region("boundary and scratch arrays", 0.7, 0.05, 0.1, RANDOM, 8, 0.0, 0.0))),
            model("bzip2",
                    "Block sorting: the block, quadrant and pointer arrays are rewritten pass by pass; the half of"
                            + " the block already in order is written back unchanged.",
                    0.2, 12_000, Phase.forever(
                            new Region("block and quadrant arrays, sorted in passes", 0.0, 0.5, 0.8, SWEEP, 32, 0.1, 0.5),
                            new Region("frequency tables and output buffer", 0.5, 0.1, 0.2, RANDOM, 4, 0.3, 0.0))),
            model("mcf",
                    "Network simplex: each pricing pass rewrites the arc array, where few arcs' cost and flow change,"
                            + " while node potentials change on most updates.",
                    0.15, 14_000, Phase.forever(
                            new Region("arc array, rewritten each pricing pass", 0.0, 0.8, 0.85, SWEEP, 16, 0.92, 0.0),
                            new Region("node potentials and tree links", 0.8, 0.05, 0.15, RANDOM, 4, 0.2, 0.0))),
            model("milc",
                    "Lattice QCD: a first sweep re-unitarises the gauge links, mostly to the values they hold; the"
                            + " conjugate-gradient sweeps after it change nearly every site.",
                    0.2, 6_000,
                    new Phase(1.0, List.of(
                            new Region("gauge links, re-unitarised", 0.0, 0.6, 1, SWEEP, 32, 0.35, 0.0))),
                    Phase.forever(
                            new Region("CG vectors, swept", 0.0, 0.6, 1, SWEEP, 32, 0.02, 0.0))),
            model("bwaves",
                    "Blast-wave CFD: implicit sweeps over the flow arrays change nearly every value each step.",
                    0.2, 6_000, Phase.forever(
                            new Region("flow arrays, swept", 0.0, 0.7, 1, SWEEP, 32, 0.06, 0.0))));

    /** Every model's default memory is 64 MiB (--memory sets another). */
    private static WorkloadModel model(String name, String resembles, double zeroFraction, double visitsPerSecond,
                                       Phase... phases) {
        return new WorkloadModel(name, resembles, 64 * MIB, zeroFraction, visitsPerSecond, List.of(phases));
    }

    public static Optional<WorkloadModel> byName(String name) {
        return ALL.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return ALL.stream().map(WorkloadModel::name).toList();
    }
}
