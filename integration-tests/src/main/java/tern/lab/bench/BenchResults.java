package tern.lab.bench;

import java.util.List;

/**
 * Everything one benchmark found, as the report needs it: the settings that shaped the runs, the
 * throughput rounds, the memory runs (by size, ascending as given), and the notes in order.
 */
record BenchResults(long imageBytes, long warmupBytes, long bufferBytes, int repeat, Throughput throughput,
                    List<TernRun> memory, List<String> notes) {
}
