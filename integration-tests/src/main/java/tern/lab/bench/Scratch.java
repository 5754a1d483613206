package tern.lab.bench;

import static tern.lab.bench.BenchConstants.GIB;
import static tern.lab.bench.BenchConstants.MIB;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.function.Predicate;
import tern.common.units.ByteSize;

/**
 * The benchmark's scratch space: a new directory in --shm for source files and one in --dir for
 * images and the processes' logs. It checks for room before anything large is made, fills
 * sources, and deletes everything at the end (the logs stay with --keep-logs; images never do).
 */
final class Scratch {
    private final Path dir;
    private final Path shm;
    private final boolean keepLogs;
    private final Progress progress;
    private Path workDir;
    private Path shmDir;

    Scratch(Path dir, Path shm, boolean keepLogs, Progress progress) {
        this.dir = dir;
        this.shm = shm;
        this.keepLogs = keepLogs;
        this.progress = progress;
    }

    /** Makes the two directories. */
    void create() throws IOException {
        workDir = Files.createTempDirectory(dir, "tern-bench-");
        shmDir = Files.createTempDirectory(shm, "tern-bench-");
    }

    /** Where images and logs go (a new directory in --dir). */
    Path workDir() {
        return workDir;
    }

    /** Where sources go (a new directory in --shm). */
    Path shmDir() {
        return shmDir;
    }

    /** A new directory in {@link #workDir()} for one run's image and logs. */
    Path runDir(String prefix) throws IOException {
        return Files.createTempDirectory(workDir, prefix);
    }

    /** Deletes a run's directory unless --keep-logs. */
    void doneWith(Path run) {
        if (!keepLogs) {
            deleteTree(run);
        }
    }

    /** Room for a source of {@code bytes} in --shm (plus {@code anon} more in memory) and an image as large in --dir. */
    void requireRoom(long bytes, long anon, String option) throws IOException {
        long shmFree = Files.getFileStore(shm).getUsableSpace();
        long margin = 64 * MIB;
        if (shmFree < bytes + margin) {
            throw new IllegalStateException(String.format(Locale.ROOT, "not enough free memory in %s for a %s source"
                            + " (%s): %s free there; free some, pass a smaller %s, or another --shm",
                    shm, ByteSize.format(bytes), option, ByteSize.format(shmFree), option));
        }
        long avail = ProcFs.memAvailable();
        long need = bytes + anon + 2 * GIB; // the source, a workload's memory, two JVMs and some page cache
        if (avail >= 0 && avail < need) {
            throw new IllegalStateException(String.format(Locale.ROOT, "not enough available memory for a %s source"
                            + " (%s): MemAvailable %s, need about %s (source in %s%s, two JVMs); pass a smaller %s",
                    ByteSize.format(bytes), option, ByteSize.format(avail), ByteSize.format(need), shm,
                    anon > 0 ? ", the idle workload's memory" : "", option));
        }
        requireDisk(bytes);
    }

    /** Room for an image of {@code bytes} in --dir. */
    void requireDisk(long bytes) throws IOException {
        Path where = workDir != null ? workDir : dir;
        long free = Files.getFileStore(where).getUsableSpace();
        if (free < bytes + 256 * MIB) {
            throw new IllegalStateException(String.format(Locale.ROOT, "not enough free disk in %s for a %s image: %s free;"
                    + " pass another --dir or a smaller size", where, ByteSize.format(bytes), ByteSize.format(free)));
        }
    }

    /** Seeded pseudo-random non-zero words, 1 MiB at a time: every page is non-zero and differs from the others. */
    void fill(Path file, long bytes, long seed) throws IOException {
        long s = System.nanoTime();
        progress.line("filling " + file + " with " + ByteSize.format(bytes) + " of pseudo-random pages ...");
        try {
            SourceFiles.fillRandom(file, bytes, seed);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw new IOException("filling " + file + " failed after a part of " + ByteSize.format(bytes) + ": " + e.getMessage()
                    + " (is " + shm + " full?)", e);
        }
        progress.line(String.format(Locale.ROOT, "filled in %.1f s", (System.nanoTime() - s) / 1e9));
    }

    /** Deletes the sources and images (and the logs unless --keep-logs). */
    void cleanUp() {
        if (shmDir != null) {
            deleteTree(shmDir);
        }
        if (workDir != null) {
            if (keepLogs) {
                delete(workDir, p -> p.getFileName().toString().endsWith(".img"));
            } else {
                deleteTree(workDir);
            }
        }
    }

    private static void deleteTree(Path root) {
        if (Files.exists(root)) {
            delete(root, p -> true);
        }
    }

    /** Deletes what {@code which} selects under {@code root}, deepest first; best effort: what is left shows what failed. */
    private static void delete(Path root, Predicate<Path> which) {
        try (var s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).filter(which).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
