package tern.sender.workload;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import tern.common.page.PageGeometry;
import tern.common.units.ByteSize;
import tern.sender.trace.Trace;
import tern.sender.trace.TraceStream;

/**
 * What --workload names, for tern-sender and tern-trial alike: a basic pattern (uniform, mixed,
 * ...), a workload model (memcached, mcf, ...) or {@code trace:FILE}.
 *
 * @param name           the --workload value
 * @param memory         bytes, or null for the model's default (a trace's header fixes its own)
 * @param pageSize       bytes per page
 * @param pacing         wall clock or N visits per captured page
 * @param rate           stores (patterns) or visits (models) per second; null for the default
 * @param silentFraction --silent-fraction, for the mixed pattern
 * @param zeroFraction   share of zero pages at the start; null for the model's own
 * @param seed           content and store seed
 * @param traceSpeed     replay speed of a trace relative to its recorded pace
 */
public record Workloads(String name, Long memory, int pageSize, Pacing pacing, Double rate, double silentFraction,
                        Double zeroFraction, long seed, double traceSpeed) {
    /** Pattern pace and memory when none is given: tern-sender's long-standing defaults. */
    public static final double PATTERN_RATE = 4096;
    public static final long PATTERN_MEMORY = 256L << 20;

    public static String known() {
        Set<String> all = new LinkedHashSet<>(); // "idle" is a pattern and a model: once
        for (WorkloadPattern p : WorkloadPattern.values()) {
            all.add(p.cliName());
        }
        all.addAll(WorkloadModels.names());
        all.add("trace:FILE");
        return String.join(", ", all);
    }

    /**
     * The memory the writer will hold, without allocating it (for start-up checks): a trace's from
     * its header, else --memory or the default.
     */
    public PageGeometry geometry() throws IOException {
        if (name.startsWith("trace:")) {
            return Trace.read(Path.of(name.substring("trace:".length()))).geometry();
        }
        long bytes = memory != null ? memory
                : WorkloadModels.byName(name).map(WorkloadModel::defaultMemory).orElse(PATTERN_MEMORY);
        try {
            return PageGeometry.ofBytes(bytes, pageSize);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--memory " + ByteSize.format(bytes) + ": " + e.getMessage());
        }
    }

    /** The writer, not yet started. */
    public SyntheticWorkload open() throws IOException {
        if (name.startsWith("trace:")) {
            Trace t = Trace.read(Path.of(name.substring("trace:".length())));
            if (memory != null && memory != t.geometry().bytes()) {
                throw new IllegalArgumentException("--memory " + ByteSize.format(memory) + " differs from the trace's "
                        + t.pages() + " pages of " + t.pageSize() + " B; leave --memory out for a trace");
            }
            if (t.pageSize() != pageSize) {
                throw new IllegalArgumentException("--page-size " + pageSize + " differs from the trace's " + t.pageSize());
            }
            return new SyntheticWorkload(new TraceStream(t, traceSpeed), t.geometry(), pacing,
                    zeroFraction == null ? 0.25 : zeroFraction, seed);
        }
        var model = WorkloadModels.byName(name);
        if (model.isPresent()) {
            WorkloadModel m = model.get();
            PageGeometry g = PageGeometry.ofBytes(memory == null ? m.defaultMemory() : memory, pageSize);
            return new SyntheticWorkload(m.stream(g.pages(), rate == null ? 0 : rate), g, pacing,
                    zeroFraction == null ? m.zeroFraction() : zeroFraction, seed);
        }
        WorkloadPattern p;
        try {
            p = WorkloadPattern.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--workload: unknown workload '" + name + "'; known: " + known());
        }
        PageGeometry g = PageGeometry.ofBytes(memory == null ? PATTERN_MEMORY : memory, pageSize);
        return new SyntheticWorkload(p, g, pacing, rate == null ? PATTERN_RATE : rate, silentFraction,
                zeroFraction == null ? 0.25 : zeroFraction, seed);
    }
}
