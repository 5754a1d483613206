package tern.sender.workload;

import java.util.List;

/**
 * A documented parameter set after one of the seed's workloads: where the program writes, how
 * fast, and how often a store keeps the bytes it overwrites. The false-dirty share is what a
 * run measures, never a parameter.
 *
 * @param name          the --workload name
 * @param resembles     one sentence: which write pattern makes it resemble the original
 * @param defaultMemory the memory a trial uses unless --memory says otherwise
 * @param zeroFraction  share of pages that start all zero (free memory)
 * @param visitsPerSecond wall-clock pace of visits (a visit writes a region's {@code lines} cache lines of one page)
 * @param phases        the write patterns in order
 */
public record WorkloadModel(String name, String resembles, long defaultMemory, double zeroFraction,
                            double visitsPerSecond, List<Phase> phases) {
    public WorkloadModel {
        phases = List.copyOf(phases);
    }

    /** The model's stores over {@code pages} pages; {@code rate} replaces the model's pace when positive. */
    public StoreStream stream(int pages, double rate) {
        return new ModelStream(this, pages, rate > 0 ? rate : visitsPerSecond);
    }
}
