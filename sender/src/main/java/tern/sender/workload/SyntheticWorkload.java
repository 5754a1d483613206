package tern.sender.workload;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import tern.common.page.PageGeometry;
import tern.common.page.PageSegments;
import tern.common.units.ByteSize;
import tern.sender.source.DirtyLog;
import tern.sender.source.FalseDirtyCauses;
import tern.sender.source.MemorySource;

/**
 * An in-process writer on off-heap memory with a software dirty log that marks a page on every
 * store, as a hypervisor's log would, including stores that leave the bytes unchanged.
 * A store writes {@code STORE_WORDS} consecutive 8-byte words (a cache line) of one page.
 */
public final class SyntheticWorkload implements MemorySource, FalseDirtyCauses {
    static final int STORE_WORDS = 8;
    /** Stores between checks of the pause flag, so pausing costs no lock per store. */
    private static final int STORES_PER_SLICE = 64;

    private final StoreStream stream;
    private final Pacing pacing;
    private final long seed;
    private final PageGeometry geometry;
    private final PageSegments memory;
    private final PageSegments.View engineView;
    private final PageSegments.View writerView;
    private final AtomicPageBits log;
    private final AtomicPageBits storedSinceCapture;
    private final SplittableRandom rnd;
    private final Object gate = new Object();
    private volatile boolean paused;
    private volatile boolean stopped;
    private Thread writer;
    private double owedStores;
    private long stores;
    private StoreRecorder recorder;
    private long startNanos;

    public SyntheticWorkload(WorkloadPattern pattern, PageGeometry geometry, Pacing pacing, double dirtyRate,
                             double silentFraction, double zeroFraction, long seed) {
        this(checked(pattern, geometry, pacing, dirtyRate, silentFraction), geometry, pacing, zeroFraction, seed);
    }

    private static StoreStream checked(WorkloadPattern pattern, PageGeometry geometry, Pacing pacing, double dirtyRate,
                                       double silentFraction) {
        if (silentFraction < 0 || silentFraction > 1) {
            throw new IllegalArgumentException("--silent-fraction " + silentFraction + " must be in 0..1");
        }
        if (pacing.wallClock() && dirtyRate < 0) {
            throw new IllegalArgumentException("--dirty-rate " + dirtyRate + " must not be negative");
        }
        return pattern.stream(geometry.pages(), silentFraction, dirtyRate);
    }

    /** A writer whose stores come from {@code stream}: a workload model or a trace. */
    public SyntheticWorkload(StoreStream stream, PageGeometry geometry, Pacing pacing, double zeroFraction, long seed) {
        if (zeroFraction < 0 || zeroFraction > 1) {
            throw new IllegalArgumentException("--zero-fraction " + zeroFraction + " must be in 0..1");
        }
        this.stream = stream;
        this.pacing = pacing;
        this.seed = seed;
        this.geometry = geometry;
        this.memory = PageSegments.allocateDirect(geometry);
        this.engineView = memory.view();
        this.writerView = memory.view();
        this.log = new AtomicPageBits(geometry.pages());
        this.storedSinceCapture = new AtomicPageBits(geometry.pages());
        this.rnd = new SplittableRandom(seed);
        fill(zeroFraction);
    }

    /** Seeded content: a share of zero pages (free memory) and pseudo-random bytes elsewhere. */
    private void fill(double zeroFraction) {
        SplittableRandom fillRnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        ByteBuffer random = ByteBuffer.allocate(geometry.pageSize());
        for (int p = 0; p < geometry.pages(); p++) {
            if (fillRnd.nextDouble() < zeroFraction) {
                continue;
            }
            for (int off = 0; off < random.capacity(); off += 8) {
                random.putLong(off, fillRnd.nextLong());
            }
            writerView.store(p, random.clear());
        }
    }

    /** Starts the writer (wall-clock pacing) and the dirty log. */
    public SyntheticWorkload start() {
        log.reset();
        startNanos = System.nanoTime();
        // A writer thread only when something will ever be due at wall-clock pace (not at --dirty-rate 0).
        if (pacing.wallClock() && !stream.idle() && stream.dueBy(Long.MAX_VALUE) > 0) {
            writer = new Thread(this::writeLoop, "tern-workload");
            writer.setDaemon(true);
            writer.start();
        }
        return this;
    }

    @Override
    public PageGeometry geometry() {
        return geometry;
    }

    @Override
    public String describe() {
        return "workload " + stream.describe() + " (" + ByteSize.format(geometry.bytes()) + ", seed " + seed
                + ", pacing " + (pacing.wallClock() ? stream.rate() : pacing.toString()) + ")";
    }

    @Override
    public ByteBuffer page(int index) {
        return engineView.page(index);
    }

    @Override
    public DirtyLog dirtyLog() {
        return log;
    }

    @Override
    public FalseDirtyCauses causes() {
        return this;
    }

    @Override
    public boolean storedSinceCaptureAndReset(int index) {
        return storedSinceCapture.testAndClear(index);
    }

    @Override
    public void afterCapture(int index) {
        if (pacing.wallClock() || paused || stream.idle()) {
            return;
        }
        owedStores += pacing.storesPerCapture();
        while (owedStores >= 1) {
            owedStores -= 1;
            if (!store(writerView)) {
                owedStores = 0;
                return;
            }
        }
    }

    /** One visit of the stream: a page, its cache lines, and whether they keep their bytes. False once the stream ended. */
    private boolean store(PageSegments.View view) {
        long v = stream.next(rnd);
        if (v == StoreStream.END) {
            return false;
        }
        int page = StoreStream.page(v);
        boolean silent = StoreStream.silent(v);
        for (int i = StoreStream.lines(v); i > 0; i--) {
            store(view, page, silent);
        }
        if (recorder != null) {
            recorder.stored(System.nanoTime() - startNanos, page, silent);
        }
        return true;
    }

    /** Records every visit from now on; set before {@link #start}. */
    public SyntheticWorkload record(StoreRecorder r) {
        this.recorder = r;
        return this;
    }

    /**
     * A store to a chosen page (trace replay, tests that aim writes at pages in flight). With
     * deterministic pacing only, and from the engine's thread, like {@link #afterCapture}.
     */
    public void storeTo(int page, boolean silent) {
        if (pacing.wallClock()) {
            throw new IllegalStateException("storeTo is for deterministic pacing; the writer thread owns wall-clock stores");
        }
        if (!paused) {
            store(writerView, page, silent);
        }
    }

    /** Writes new or identical bytes into one cache line of {@code page}, then marks the page. */
    private void store(PageSegments.View view, int page, boolean silent) {
        ByteBuffer b = view.page(page);
        int lines = geometry.pageSize() / (8 * STORE_WORDS);
        int off = b.position() + rnd.nextInt(lines) * 8 * STORE_WORDS;
        for (int w = 0; w < STORE_WORDS; w++) {
            int at = off + 8 * w;
            long old = b.getLong(at);
            // xor with a non-zero value guarantees new bytes; a silent store writes back what it read
            b.putLong(at, silent ? old : old ^ (rnd.nextLong() | 1L));
        }
        storedSinceCapture.mark(page);
        log.mark(page); // after the bytes: see AtomicPageBits.mark
        stores++;
    }

    private void writeLoop() {
        long start = System.nanoTime();
        long done = 0;
        while (!stopped) {
            synchronized (gate) {
                if (paused) {
                    waitWhilePaused();
                    start = System.nanoTime();
                    done = 0;
                    continue;
                }
                long due = stream.dueBy(System.nanoTime() - start);
                for (int i = 0; i < STORES_PER_SLICE && done < due; i++, done++) {
                    if (!store(writerView)) {
                        return; // the stream ended: nothing more will be written
                    }
                }
                if (done < due) {
                    continue;
                }
            }
            LockSupport.parkNanos(200_000);
        }
    }

    private void waitWhilePaused() {
        while (paused && !stopped) {
            try {
                gate.wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void pause() {
        paused = true;
        // Entering the gate waits out a slice in progress: after this no store can land.
        synchronized (gate) {
            gate.notifyAll();
        }
    }

    @Override
    public void resume() {
        synchronized (gate) {
            paused = false;
            gate.notifyAll();
        }
    }

    @Override
    public void terminate() throws InterruptedException {
        stopped = true;
        paused = true;
        synchronized (gate) {
            gate.notifyAll();
        }
        if (writer != null) {
            writer.join();
        }
    }

    @Override
    public void close() throws InterruptedException {
        terminate();
    }

    public boolean paused() {
        return paused;
    }

    public long stores() {
        return stores;
    }

    /** A copy of the memory as it is now (tests compare it with the receiver's image). */
    public byte[] snapshot() {
        byte[] all = new byte[Math.toIntExact(geometry.bytes())];
        PageSegments.View v = memory.view();
        for (int p = 0; p < geometry.pages(); p++) {
            v.page(p).get(all, p * geometry.pageSize(), geometry.pageSize());
        }
        return all;
    }

}
