package tern.lab.bench;

import static tern.lab.bench.BenchConstants.MIB;
import static tern.lab.bench.BenchConstants.SEED;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Peak memory per GiB of image: one Tern migration (the default configuration) per size, one
 * after another, each source and image deleted before the next so that only one is ever made.
 */
final class MemoryRuns {
    private final TernRuns tern;
    private final Scratch scratch;

    MemoryRuns(TernRuns tern, Scratch scratch) {
        this.tern = tern;
        this.scratch = scratch;
    }

    List<TernRun> run(List<Long> sizes) throws Exception {
        List<TernRun> memory = new ArrayList<>();
        for (long s : sizes) {
            scratch.requireRoom(s, 0, "--rss-sizes");
            Path src = scratch.shmDir().resolve("source-" + s / MIB + "m.ram");
            try {
                scratch.fill(src, s, SEED ^ s);
                memory.add(tern.run(TernConfig.defaultConfig(), src, s, " [memory]"));
            } finally {
                Files.deleteIfExists(src);
            }
        }
        return memory;
    }
}
