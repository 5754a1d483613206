package tern.sender.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;

/**
 * What the engine publishes while it runs, for readers on other threads: the progress timer
 * (--progress json) and whoever ends an interrupted migration's --stats file. Written only by the
 * engine thread, when an iteration begins, when each batch has gone to the transport and when an
 * iteration ends: never per page, and without a lock (the fields are volatile; the open
 * iteration is an immutable snapshot, one small object per batch).
 */
public final class EngineProgress {
    /** The states of QEMU's query-migrate that a Tern migration passes through. */
    public enum Status {
        /** Connecting, the hello and its acceptance. */
        SETUP,
        /** Pre-copy iterations, the source running. */
        ACTIVE,
        /** The source paused: the stop-and-copy pass, the root check and any resync. */
        DEVICE,
        COMPLETED,
        FAILED,
        /** Ended by a signal or an interrupt. */
        CANCELLED;

        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final int pageSize;
    private final long pagesTotal;
    private final boolean skips;
    private final long startNanos = System.nanoTime();
    private final LongSupplier transferred;
    private final Supplier<MigrationSummary.Facts> facts;
    private volatile Status status = Status.SETUP;
    private volatile IterationStats open;
    private volatile List<IterationStats> ended = List.of();

    /**
     * @param skips       pages whose digest equals the latest version sent are skipped (digest mode)
     * @param transferred the link's outbound bytes so far, readable from any thread
     * @param facts       the run's facts as they are now, readable from any thread
     */
    EngineProgress(int pageSize, long pagesTotal, boolean skips, LongSupplier transferred,
                   Supplier<MigrationSummary.Facts> facts) {
        this.pageSize = pageSize;
        this.pagesTotal = pagesTotal;
        this.skips = skips;
        this.transferred = transferred;
        this.facts = facts;
    }

    // ---------------------------------------------------------------- written by the engine thread

    /** The open iteration as it is now: at its start and after each batch. */
    void publish(IterationStats openIteration) {
        open = openIteration;
        if (status == Status.SETUP) {
            status = Status.ACTIVE;
        }
    }

    void ended(IterationStats s) {
        List<IterationStats> l = new ArrayList<>(ended);
        l.add(s);
        ended = List.copyOf(l);
        open = null;
    }

    void status(Status s) {
        status = s;
    }

    // ---------------------------------------------------------------- read by any thread

    public Status status() {
        return status;
    }

    public long elapsedMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** The iteration in progress as of its last batch (finished = false), or null between iterations. */
    public IterationStats openIteration() {
        return open;
    }

    /** The iterations that ended, in order. */
    public List<IterationStats> endedIterations() {
        return ended;
    }

    /** The number of the iteration in progress, else of the last one that ended; 0 before the first. */
    public int iteration() {
        IterationStats o = open;
        if (o != null) {
            return o.iteration();
        }
        List<IterationStats> e = ended;
        return e.isEmpty() ? 0 : e.get(e.size() - 1).iteration();
    }

    public String phase() {
        IterationStats o = open;
        if (o != null) {
            return o.phase();
        }
        List<IterationStats> e = ended;
        return e.isEmpty() ? null : e.get(e.size() - 1).phase();
    }

    /** Bytes sent to the receiver so far, as the transport counted them. */
    public long transferredBytes() {
        return transferred.getAsLong();
    }

    public long totalBytes() {
        return pagesTotal * pageSize;
    }

    /** Bytes of the pages the open pass has still to send or skip; 0 between passes. */
    public long remainingBytes() {
        IterationStats o = open;
        return o == null ? 0 : Math.max(0, o.pagesDirty() - o.pagesSent() - o.pagesSkipped()) * pageSize;
    }

    /** Pages per second dirtied before the open pass's fetch; null in the bulk pass. */
    public Double dirtyRate() {
        IterationStats o = open;
        return o == null ? null : o.dirtyRate();
    }

    /**
     * What the switchover rule expects sending the open pass's remaining pages to take, in ms, at
     * the last pass's measured bandwidth ({@link PrecopyLoop#expectedBytes}); null before a pass ended.
     */
    public Long expectedDowntimeMillis() {
        IterationStats o = open;
        List<IterationStats> e = ended;
        if (o == null || e.isEmpty()) {
            return null;
        }
        IterationStats last = e.get(e.size() - 1);
        long left = Math.max(0, o.pagesDirty() - o.pagesSent() - o.pagesSkipped());
        return Math.round(PrecopyLoop.expectedBytes(left, pageSize, last, skips) / PrecopyLoop.bandwidthOf(last) * 1000);
    }

    /** The run's facts now, for a summary written before the engine ended. */
    public MigrationSummary.Facts facts() {
        return facts.get();
    }
}
