package tern.sender.engine;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tern.common.digest.PageDigest;
import tern.common.digest.RootDigest;
import tern.common.page.PageGeometry;
import tern.common.page.ZeroPage;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.common.xbzrle.XbzrleCodec;
import tern.proto.Accept;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.Verdict;
import tern.sender.source.DirtyLog;
import tern.sender.source.FalseDirtyCauses;
import tern.sender.source.MemorySource;
import tern.sender.transport.BandwidthLimiter;
import tern.sender.transport.MigrationChannel;

/**
 * The pre-copy loop. Iteration 1 considers every page; each later iteration starts with a fetch
 * of the dirty log (or a digest scan for a source without one) and passes over the pages dirty
 * then; when what remains fits the downtime limit at the measured bandwidth, the source is paused
 * and a last stop-and-copy pass sends the rest. Runs on one thread, which alone owns every piece
 * of per-page state ({@link PageState}: bitmap, sent digests, XBZRLE cache): acknowledgements are
 * taken from the channel and applied here, so no page needs a lock.
 *
 * <p>Here: the iteration driver, capture, encode, fetch and the switchover rule. Its parts: the
 * {@link AckWindow} (batches in flight, settled by their acknowledgements), the
 * {@link ResumingLink} (the stream, kept across lost connections; it states how a resume restarts
 * a pass), the {@link Completion} (the paused end) and {@link MigrationSummary#of} (the summary,
 * derived from the iterations). Each ordering rule is commented where it is enforced; the list is
 * in docs/design.md, "Ordering rules".
 */
public final class PrecopyLoop implements Stoppable {
    private final MemorySource source;
    private final EngineConfig cfg;
    private final EngineListener listener;
    private final ResumingLink link;
    private final int pages;
    private final int pageSize;
    private final DirtyLog log;
    private final FalseDirtyCauses causes;
    private final PageDigest digest;
    private final byte[] current;
    private final ByteBuffer scratch;
    private final ZeroPage zeroPage;
    private final PageState state;
    private final XbzrleCodec codec;
    private final PageBatchEncoder encoder;
    private final BandwidthLimiter limiter;
    private final EngineProgress progress;
    private long startNanos;
    private final SourceControl control;
    private AckWindow window; // sized by the receiver's accept
    private Completion completion;
    private IterationCounters it;
    private final List<IterationStats> iterations = new ArrayList<>();
    private int iteration;
    private Phase phase;

    public PrecopyLoop(MemorySource source, EngineConfig cfg, MigrationChannel channel, EngineListener listener) {
        this(source, cfg, channel, listener, null);
    }

    /**
     * @param resumeTimeout how long to keep reconnecting after the connection is lost (presenting
     *                      the migration's token), or null to fail the migration at once
     */
    public PrecopyLoop(MemorySource source, EngineConfig cfg, MigrationChannel channel, EngineListener listener,
                       Duration resumeTimeout) {
        this(source, cfg, channel, listener, resumeTimeout, new SourceControl(source, cfg.afterSuccess(), false, listener));
    }

    /**
     * @param control the source's pause and its end, shared with whoever else may settle it (the
     *                sender's shutdown hook, a hand-off after the verdict)
     */
    public PrecopyLoop(MemorySource source, EngineConfig cfg, MigrationChannel channel, EngineListener listener,
                       Duration resumeTimeout, SourceControl control) {
        boolean resumes = resumeTimeout != null && !resumeTimeout.isZero();
        PageGeometry g = source.geometry();
        this.source = source;
        this.cfg = cfg;
        this.listener = listener;
        this.control = control;
        this.pages = g.pages();
        this.pageSize = g.pageSize();
        this.log = source.dirtyLog();
        if (log == null && cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException(source.describe() + " has no dirty log: dirty pages are found by digest"
                    + " scan, so only --mode digest applies (got --mode " + cfg.mode().cliName() + ")");
        }
        this.causes = source.causes();
        this.digest = cfg.digest().newDigest();
        this.current = new byte[cfg.digest().length()];
        this.scratch = ByteBuffer.allocateDirect(pageSize);
        this.zeroPage = new ZeroPage(pageSize);
        // A scan source needs the sent digests to find dirty pages, whatever --audit says; so does
        // a resume, to tell which pages the receiver's table shows missing.
        this.state = PageState.forNewImage(g, cfg, hashes() || resumes, resumes);
        this.codec = cfg.xbzrle() ? new XbzrleCodec(pageSize) : null;
        this.encoder = new PageBatchEncoder(cfg.batchPages(), pageSize);
        this.limiter = new BandwidthLimiter(cfg.bandwidthBytesPerSecond());
        this.link = new ResumingLink(channel, resumes ? resumeTimeout : null,
                resumes ? new TableReconciler(state) : null, () -> {
                    // the lost stream's batches, and the one being filled: its pages' bits are still set
                    window.forgetAll();
                    encoder.reset();
                }, listener);
        this.progress = new EngineProgress(pageSize, pages, cfg.mode() == Mode.DIGEST,
                () -> link.meter().outbound(), this::facts);
    }

    /** What this loop publishes as it runs, for other threads (progress, an interrupted run's summary). */
    public EngineProgress progress() {
        return progress;
    }

    private boolean hashes() {
        return cfg.hashes() || log == null;
    }

    /** Runs the migration to a verdict. On any failure the source is left running. */
    public MigrationResult run() throws MigrationFailure {
        long start = System.nanoTime();
        startNanos = start;
        try {
            open();
            if (log != null) {
                log.reset(); // ordering rule (docs/design.md): before the first read, so every later store is logged
            }
            state.bitmap.setAll();
            Phase next = Phase.BULK;
            long pagesDirty = pages;
            Double dirtyRate = null;
            long lastFetch = System.nanoTime();
            long pausedAt = 0;
            boolean converged = false;
            long downtimeNanos;
            while (true) {
                beginIteration(next, pagesDirty, dirtyRate);
                if (phase == Phase.STOP_AND_COPY) {
                    downtimeNanos = completion.stopAndCopy(pausedAt);
                    endIteration(true);
                    break;
                }
                pass(false);
                IterationStats done = endIteration(true);
                fetch();
                long now = System.nanoTime();
                pagesDirty = state.bitmap.cardinality();
                dirtyRate = pagesDirty / Math.max(1e-9, (now - lastFetch) / 1e9);
                lastFetch = now;
                Decision d = decide(pagesDirty, done, now - start);
                next = Phase.ITERATIVE;
                if (d == Decision.CONTINUE) {
                    continue;
                }
                if (d == Decision.ABORT) {
                    throw new MigrationFailure("did not converge after " + done.iteration() + " iterations ("
                            + pagesDirty + " pages dirty, " + bandwidthOf(done) + " B/s measured); --on-no-convergence abort");
                }
                converged = d == Decision.CONVERGED;
                listener.message(converged ? "converged: pausing the source for stop-and-copy"
                        : "not converged after " + done.iteration() + " iterations: forcing stop-and-copy");
                pausedAt = System.nanoTime();
                progress.status(EngineProgress.Status.DEVICE);
                control.pause();
                fetch(); // ordering rule (docs/design.md): the final sync, after the pause, holds every store up to it
                pagesDirty = state.bitmap.cardinality();
                next = Phase.STOP_AND_COPY;
            }
            listener.completing();
            long verifyStart = System.nanoTime();
            Verdict verdict = completion.complete();
            long verifyNanos = System.nanoTime() - verifyStart;
            // The receiver verified the image: from here the migration succeeded, whatever becomes
            // of the link (finish never fails), and the source is settled as --after-success says.
            link.finish();
            control.succeeded();
            progress.status(EngineProgress.Status.COMPLETED);
            return new MigrationResult(List.copyOf(iterations), MigrationSummary.of(iterations, facts()
                    .verified(true).converged(converged).downtimeMs(downtimeNanos / 1_000_000)
                    .verifyMs(verifyNanos / 1_000_000).rootDigest(RootDigest.hex(verdict.getRootDigest().toByteArray()))
                    .pagesAlreadyHeld(verdict.getPagesAlreadyHeld())));
        } catch (Exception | Error e) {
            // Whatever failed (the receiver, the stream, the source's pause, an error of the JVM's),
            // the workload goes on, and the receiver is told the migration is over: the source
            // first, so that its downtime does not wait on the receiver.
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            control.failed();
            link.abort(why);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            MigrationFailure f = e instanceof MigrationFailure mf ? mf
                    : new MigrationFailure(e instanceof Error ? "internal error: " + e : why, e);
            if (it != null && !it.ended()) {
                // the iteration the failure cut short counts too: the totals are the sums of every line
                endIteration(false);
            }
            progress.status(e instanceof InterruptedException ? EngineProgress.Status.CANCELLED
                    : EngineProgress.Status.FAILED);
            MigrationSummary partial = MigrationSummary.of(iterations, facts().error(f.getMessage()));
            throw f.withPartial(new MigrationResult(List.copyOf(iterations), partial));
        }
    }

    /** Stops the migration from another thread (the sender's shutdown hook). */
    @Override
    public void abandon(String reason) {
        link.abandon(reason);
    }

    @Override
    public boolean cancel(String reason, Duration confirm) throws InterruptedException {
        return link.cancel(reason, confirm);
    }

    @Override
    public boolean accepted() {
        return link.accepted();
    }

    private void open() throws MigrationFailure, InterruptedException {
        Accept a = link.open(cfg, source.geometry());
        window = new AckWindow(Math.max(1, Math.min(cfg.window(), a.getWindow() == 0 ? cfg.window() : a.getWindow())),
                cfg.batchPages(), state);
        completion = new Completion(this, link, window, state, source, digest, listener);
    }

    /** The next iteration, of phase {@code p}: its counters, then its mark. */
    void beginIteration(Phase p, long pagesDirty, Double dirtyRate) throws MigrationFailure, InterruptedException {
        iteration++;
        phase = p;
        // Ordering rule (docs/design.md): counters before the mark, so a resume while it goes out is this iteration's.
        it = new IterationCounters(iteration, p, pagesDirty, dirtyRate, link);
        link.announce(iteration, p);
        progress.publish(it.stats(hashes(), causes != null, false));
        listener.beforePass(iteration, IterationCounters.phaseName(p));
    }

    /** Ends the open iteration: by its pass ({@code finished}), or cut short by a failure. */
    IterationStats endIteration(boolean finished) {
        IterationStats s = it.finish(hashes(), causes != null, finished);
        iterations.add(s);
        // Ordering rule (docs/design.md): the stats line first, then the iteration published as
        // ended, so a summary written on an interrupt meanwhile counts it once (StatsFile.interrupted)
        listener.iterationDone(s);
        progress.ended(s);
        return s;
    }

    /**
     * One pass over the bitmap, its last batch handed to the transport; with {@code drain}, until
     * every batch is acknowledged too. Bits are cleared when their batch is in the transport. A
     * resume forgets the window and puts pages back anywhere in the bitmap, so the pass then
     * starts over from page 0 ({@link ResumingLink#repeatOnResume}).
     */
    void pass(boolean drain) throws MigrationFailure, InterruptedException {
        link.repeatOnResume(() -> {
            for (int p = state.bitmap.nextSetBit(0); p >= 0; p = state.bitmap.nextSetBit(p + 1)) {
                capture(p);
            }
            flush();
            if (drain) {
                it.ackMismatches += window.drain(link);
            }
            return null;
        });
    }

    private void capture(int p) throws Resumed, MigrationFailure, InterruptedException {
        if (log != null && cfg.mode().clearsPerPage()) {
            // Ordering rule (docs/design.md), invariant 2: the log bit is cleared BEFORE the bytes
            // are read. A store that lands after the clear is logged again and resent; clearing
            // after the read could forget a store that landed between the read and the clear.
            log.clear(p);
        }
        // the cause's mark likewise, before the read: a store after it is the next capture's
        boolean storedSince = causes != null && causes.storedSinceCaptureAndReset(p);
        scratch.clear().put(source.page(p)).flip();
        source.afterCapture(p);
        boolean resend = state.takeResendMark(p);
        boolean same = false;
        if (state.sent != null) {
            digest.digest(scratch, current, 0);
            same = state.sent.digests.matches(p, current, 0);
        }
        if (same) {
            if (phase != Phase.BULK) {
                // False dirty: reported dirty, yet holding the latest version sent. The bulk pass's
                // pages were not reported by any log; those the receiver holds (zero) are only skipped.
                it.falseDirty(storedSince);
            }
            if (cfg.mode() == Mode.DIGEST) {
                // Invariant 3: skipped because its bytes equal the latest version sent. If that version
                // is still in flight the skip is provisional: its acknowledgement settles it (AckWindow).
                it.skipped++;
                state.bitmap.clear(p);
                return;
            }
        } else if (state.sent != null) {
            it.oraclePages++;
        }
        encode(p);
        if (resend) {
            it.resent++;
        }
        if (state.sent != null) {
            // Ordering rule (docs/design.md): recorded as carried by the batch being filled, which
            // flush() sends as window.nextSequence(): no batch takes a sequence before it, and a
            // resume drops this batch and restarts the numbering together, after which the
            // receiver's table settles this record.
            state.sent.sent(p, current, 0, window.nextSequence());
        }
        if (encoder.full()) {
            flush();
        }
    }

    private void encode(int p) {
        if (zeroPage.isZero(scratch)) {
            it.zero++;
            if (state.cache != null) {
                state.cache.invalidate(p);
            }
            add(p, PageEncoding.ZERO, 0);
            return;
        }
        // XBZRLE from iteration 2 on, as QEMU: the bulk pass has no earlier version to delta against.
        if (state.cache != null && iteration >= 2) {
            ByteBuffer old = state.cache.get(p);
            if (old != null) {
                int n = codec.encode(old, scratch, encoder.payloadArray(), encoder.payloadOffset(), pageSize);
                state.cache.put(p, scratch);
                if (n >= 0) {
                    it.xbzrleHits++;
                    add(p, PageEncoding.XBZRLE, n);
                    return;
                }
                it.xbzrleOverflows++;
            } else {
                it.xbzrleMisses++;
                state.cache.put(p, scratch);
            }
        }
        encoder.payloadTail().put(scratch);
        scratch.flip();
        add(p, PageEncoding.RAW, pageSize);
    }

    private void add(int p, PageEncoding enc, int length) {
        encoder.add(p, enc, length);
        it.sent++;
        it.payloadBytes += length;
    }

    /** Hands the batch to the transport once the window and the bandwidth cap allow. */
    private void flush() throws Resumed, MigrationFailure, InterruptedException {
        if (encoder.empty()) {
            return;
        }
        it.ackMismatches += window.awaitRoom(link);
        limiter.awaitTurn();
        long before = link.meter().outbound();
        int seq = window.nextSequence();
        link.send(encoder.message(seq, iteration));
        limiter.sent(link.meter().outbound() - before);
        // Ordering rule (docs/design.md), reconcile: the bitmap forgets a page only once its bytes
        // are in the transport, and only then does the window await the batch; a resume during the
        // send leaves both as they were.
        window.add(seq, encoder.pageIndexes(), encoder.count());
        for (int i = 0; i < encoder.count(); i++) {
            state.bitmap.clear(encoder.page(i));
        }
        encoder.reset();
        listener.batchSent(iteration, it.sent, it.skipped, it.pagesDirty, it.wireBytes());
        progress.publish(it.stats(hashes(), causes != null, false));
        it.ackMismatches += window.settleArrived(link);
    }

    /** ORs what was dirtied since the last fetch into the bitmap. */
    private void fetch() {
        if (log != null) {
            log.fetch(state.bitmap, cfg.mode() == Mode.SYNC_CLEAR);
            return;
        }
        // No dirty log: the fetch is a digest scan (docs/design.md); a page is dirty when its digest
        // differs from the latest version sent.
        for (int p = 0; p < pages; p++) {
            digest.digest(source.page(p), current, 0);
            if (!state.sent.digests.matches(p, current, 0)) {
                state.bitmap.set(p);
            }
        }
    }

    enum Decision { CONTINUE, CONVERGED, FORCE, ABORT }

    /**
     * The switchover rule: remaining <= measured wire bandwidth x downtime limit, where remaining
     * is what the next pass is expected to send. In digest mode that discounts the last pass's
     * skip share; counting false dirty pages as remaining would stop it from ever converging.
     */
    Decision decide(long pagesDirty, IterationStats last, long elapsedNanos) {
        double remaining = expectedBytes(pagesDirty, pageSize, last, cfg.mode() == Mode.DIGEST);
        double bandwidth = bandwidthOf(last);
        if (remaining <= bandwidth * (cfg.downtimeLimit().toNanos() / 1e9)) {
            return Decision.CONVERGED;
        }
        boolean outOfTime = cfg.maxTime() != null && elapsedNanos >= cfg.maxTime().toNanos();
        if (last.iteration() >= cfg.maxIterations() || outOfTime) {
            return cfg.onNoConvergence() == EngineConfig.OnNoConvergence.FORCE ? Decision.FORCE : Decision.ABORT;
        }
        return Decision.CONTINUE;
    }

    /**
     * What sending {@code pagesDirty} pages is expected to put on the wire: in digest mode, less the
     * share {@code last} skipped (counting false dirty pages as remaining would stop it from ever converging).
     */
    static double expectedBytes(long pagesDirty, int pageSize, IterationStats last, boolean skips) {
        double skipShare = skips && last.pagesDirty() > 0 ? (double) last.pagesSkipped() / last.pagesDirty() : 0;
        return pagesDirty * (double) pageSize * (1 - skipShare);
    }

    /** Wire bytes per second that {@code s} measured. */
    static double bandwidthOf(IterationStats s) {
        return s.bytesOnWire() / Math.max(1e-3, s.durationMs() / 1e3);
    }

    /**
     * The run's own facts for its summary; the totals are derived from the iterations. Also read
     * by other threads through {@link EngineProgress#facts}: only the link's counters (atomic) and
     * fields set before the run change meanwhile.
     */
    private MigrationSummary.Facts facts() {
        return MigrationSummary.facts().mode(cfg.mode().cliName()).digest(cfg.digest().cliName()).xbzrle(cfg.xbzrle())
                .source(source.describe()).pageSize(pageSize).pagesTotal(pages).pagesHashed(hashes())
                .totalMs((System.nanoTime() - startNanos) / 1_000_000).bytesOnWire(link.meter().outbound())
                .ackBytes(link.meter().inbound()).reconnects(link.reconnects())
                .resyncPages(completion == null ? 0 : completion.resyncPages());
    }
}
