package tern.sender.workload;

import java.util.SplittableRandom;

/**
 * Where an in-process writer's stores land and whether they change the bytes: the basic
 * patterns, the workload models and trace replay are each one. A visit is encoded in a long
 * (see {@link #visit}) so that producing one allocates nothing.
 */
public interface StoreStream {
    /** Returned by {@link #next} when the stream has no more stores (a trace ran out). */
    long END = -1;

    /**
     * The next visit: a page, how many cache lines it writes, and whether they keep the bytes
     * the page holds (silent). Called from one thread at a time.
     */
    long next(SplittableRandom rnd);

    /** With wall-clock pacing: how many visits are due {@code elapsedNanos} after the writer started. */
    long dueBy(long elapsedNanos);

    /** No store will ever come, whatever the pacing (the idle pattern, a model at pace 0, an empty trace). */
    boolean idle();

    /** For reports: "memcached", "trace t.trace". */
    String describe();

    /** For reports, the wall-clock pace: "4096.0 pages/s", "recorded pace x 2". */
    String rate();

    static long visit(int page, int lines, boolean silent) {
        return ((long) page << 32) | ((long) lines << 1) | (silent ? 1 : 0);
    }

    static int page(long visit) {
        return (int) (visit >>> 32);
    }

    static int lines(long visit) {
        return (int) ((visit & 0xFFFF_FFFFL) >>> 1);
    }

    static boolean silent(long visit) {
        return (visit & 1) != 0;
    }
}
