package tern.sender.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.stats.IterationStats;
import tern.sender.engine.EngineListener;
import tern.sender.transport.WireMeter;

/**
 * QEMU's passes over its dirty log as the relay sees them, with their figures: the iterations of
 * the stream path (docs/figures.md). QEMU's stream does not mark where a pass begins; its
 * MIGRATION_PASS event does. The switchover control posts each one ({@link #announce}) and the
 * relay starts the new pass at the next record it parses, so a pass's first records can be counted
 * in the one before, by at most what the unsent budget and the kernel's socket buffer hold. The
 * stop-and-copy pass begins exactly where the stream says the guest paused.
 *
 * <p>Threads: {@link #announce} and the published totals are the control's; everything else is
 * the relay's. The published totals are written once per chunk, not per record.
 */
final class PassFigures {
    private final WireMeter meter;
    private final IntSupplier reconnects;
    private final LongSupplier dropped;
    private final EngineListener listener;
    private final List<IterationStats> done = new ArrayList<>();
    /** Passes of {@link #done} the listener had (--stats lines): all but a stop-and-copy, until {@link #publishRest}. */
    private int published;
    private volatile int announcedPass = 1;
    private volatile Double announcedRate;
    private volatile boolean guestStopped;
    private volatile long publishedRecords;
    private volatile long publishedHeld;
    private volatile long publishedBusyNanos;
    private long totalRecords;
    private long busyNanos;
    // the pass in progress
    private int pass;
    private String phase;
    private Double dirtyRate;
    private long startNanos;
    private long wireStart;
    private long ackStart;
    private int reconnectsStart;
    private long droppedStart;
    private long records;
    private long forwarded;
    private long zero;
    private long pages;
    private long mismatches;
    private long resent;
    private boolean stopAndCopy;
    private boolean finished;

    /** @param dropped PAGE records dropped as held so far (the sender's skip rule) */
    PassFigures(WireMeter meter, IntSupplier reconnects, LongSupplier dropped, EngineListener listener) {
        this.meter = meter;
        this.reconnects = reconnects;
        this.dropped = dropped;
        this.listener = listener;
    }

    /** QEMU's first pass, which sends every page, begins with the stream. */
    void start() {
        open(1, "bulk", null);
    }

    // ------------------------------------------------------------------ the control's side

    /** QEMU began pass {@code pass} (its MIGRATION_PASS event), dirtying pages at {@code dirtyRate} per second. */
    void announce(int pass, Double dirtyRate) {
        announcedRate = dirtyRate;
        announcedPass = pass; // written last: the relay reads the pass, then its rate
    }

    /**
     * QEMU reported the source guest stopped (its STOP event): from now on every byte is
     * downtime, also those still ahead of the pause in the stream.
     */
    void guestStopped() {
        guestStopped = true;
    }

    boolean isGuestStopped() {
        return guestStopped;
    }

    /** PAGE and ZERO records seen in QEMU's stream, as of the last chunk. */
    long publishedRecords() {
        return publishedRecords;
    }

    /** Of those, the PAGE records dropped as held. */
    long publishedHeld() {
        return publishedHeld;
    }

    /**
     * The time the relay spent sending or waiting on the link (the cap, the transport), as of the
     * last chunk: the wire bytes over it are the link's measured bandwidth while it was busy, not
     * diluted by stretches of held pages that cost no wire time.
     */
    long publishedBusyNanos() {
        return publishedBusyNanos;
    }

    // ------------------------------------------------------------------ the relay's side

    /** A PAGE or ZERO record of QEMU's stream, before the skip rule. */
    void seen() {
        int announced = announcedPass;
        if (announced > pass && !stopAndCopy) {
            advanceTo(announced);
        }
        records++;
        totalRecords++;
    }

    /**
     * Ends the pass in progress and begins pass {@code number}; passes QEMU began and ended
     * between two records of its stream are there, empty, so the passes are QEMU's, one each.
     */
    private void advanceTo(int number) {
        while (pass < number) {
            close();
            open(pass + 1, "iterative", pass + 1 == number ? announcedRate : null);
        }
    }

    void forwardedPage() {
        forwarded++;
        pages++;
    }

    void forwardedZero() {
        forwarded++;
        zero++;
    }

    /** Time spent sending or waiting on the link. */
    void busy(long nanos) {
        busyNanos += nanos;
    }

    void mismatches(int n) {
        mismatches += n;
    }

    /** Pages sent again after a resume (the chunks the receiver lacked). */
    void resent(long n) {
        resent += n;
    }

    /** The guest paused: the stop-and-copy pass begins here, QEMU's last. */
    void paused() {
        if (stopAndCopy) {
            return;
        }
        int announced = announcedPass;
        if (announced > pass) {
            advanceTo(announced);
        }
        close();
        open(pass + 1, "stop-and-copy", null);
        stopAndCopy = true;
    }

    /** Publishes the totals for the control; once per chunk. */
    void publish() {
        publishedHeld = dropped.getAsLong();
        publishedBusyNanos = busyNanos;
        publishedRecords = totalRecords;
    }

    /** The stream ended: the last pass is over. */
    void finish() {
        if (!finished) {
            finished = true;
            close();
        }
    }

    int pass() {
        return pass;
    }

    /** Every pass that ended, in order. */
    List<IterationStats> iterations() {
        return List.copyOf(done);
    }

    /**
     * {@code passes} numbered as QEMU numbered its dirty-log syncs: QEMU's last pass, the
     * stop-and-copy, is its final sync ({@code dirtySyncCount}, from query-migrate at the end).
     * When a sync's event reached the relay only after the stream's pause (QEMU synced and switched
     * over at once, sending nothing in that pass), the passes between are there, empty.
     */
    static List<IterationStats> numbered(List<IterationStats> passes, Long dirtySyncCount) {
        if (passes.isEmpty() || dirtySyncCount == null) {
            return passes;
        }
        IterationStats last = passes.get(passes.size() - 1);
        if (!last.phase().equals("stop-and-copy") || last.iteration() >= dirtySyncCount) {
            return passes;
        }
        List<IterationStats> out = new ArrayList<>(passes.subList(0, passes.size() - 1));
        for (int n = last.iteration(); n < dirtySyncCount; n++) {
            out.add(IterationStats.builder().iteration(n).phase("iterative").pagesFalseDirty(0L).build());
        }
        out.add(last.withIteration(dirtySyncCount.intValue()));
        return out;
    }

    private void open(int number, String phaseName, Double rate) {
        pass = number;
        phase = phaseName;
        dirtyRate = rate;
        startNanos = System.nanoTime();
        wireStart = meter.outbound();
        ackStart = meter.inbound();
        reconnectsStart = reconnects.getAsInt();
        droppedStart = dropped.getAsLong();
        records = forwarded = zero = pages = mismatches = resent = 0;
        listener.beforePass(number, phaseName);
    }

    private void close() {
        long skipped = dropped.getAsLong() - droppedStart;
        IterationStats s = IterationStats.builder()
                .iteration(pass)
                .phase(phase)
                .pagesDirty(records)
                // QEMU sends each page once in its first pass, so only later passes resend a held one
                .pagesFalseDirty(pass >= 2 ? skipped : 0L)
                .pagesSent(forwarded)
                .pagesSkipped(skipped)
                .pagesZero(zero)
                .payloadBytes(pages * QemuStreamFormat.PAGE_SIZE)
                .oraclePages(pages)
                .ackMismatches(mismatches)
                .bytesOnWire(meter.outbound() - wireStart)
                .ackBytes(meter.inbound() - ackStart)
                .durationMs((System.nanoTime() - startNanos) / 1_000_000)
                .dirtyRate(dirtyRate)
                .reconnects(reconnects.getAsInt() - reconnectsStart)
                .pagesResent(resent)
                .build();
        done.add(s);
        // The stop-and-copy pass waits for its number: QEMU's final sync count comes after the
        // stream's end (numbered), and the --stats lines are numbered as the summary's table.
        if (!s.phase().equals("stop-and-copy")) {
            listener.iterationDone(s);
            published++;
        }
    }

    /**
     * The passes the listener has not had yet, from {@code all} ({@link #iterations}, or its
     * {@link #numbered} version, which keeps every pass before the stop-and-copy as it was).
     */
    void publishRest(List<IterationStats> all) {
        for (int i = published; i < all.size(); i++) {
            listener.iterationDone(all.get(i));
        }
        published = Math.max(published, all.size());
    }
}
