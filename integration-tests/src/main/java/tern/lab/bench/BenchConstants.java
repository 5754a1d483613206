package tern.lab.bench;

import java.time.Duration;

/** The fixed numbers every part of tern-bench shares. */
final class BenchConstants {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final int PAGE_SIZE = 4096;
    /** How often {@link ProcSampler} reads each process's /proc files. */
    static final long SAMPLE_MS = 10;
    /** Seed of the source files and of the local write's buffer: every run moves the same bytes. */
    static final long SEED = 0x7E57BE4CL;

    /** How long one run may take: generous, 5 minutes plus 5 MB/s. */
    static Duration timeoutFor(long bytes) {
        return Duration.ofMillis(300_000 + bytes / 5_000);
    }

    private BenchConstants() {
    }
}
