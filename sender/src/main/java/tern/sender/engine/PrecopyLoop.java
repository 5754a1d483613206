package tern.sender.engine;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tern.common.digest.PageDigest;
import tern.common.digest.RootDigest;
import tern.common.page.PageBitmap;
import tern.common.page.PageGeometry;
import tern.common.page.ZeroPage;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.common.units.Durations;
import tern.common.xbzrle.XbzrleCodec;
import tern.proto.Accept;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMessage;
import tern.proto.BatchAck;
import tern.proto.Complete;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.Resync;
import tern.proto.SenderMessage;
import tern.proto.Verdict;
import tern.sender.source.DirtyLog;
import tern.sender.source.FalseDirtyCauses;
import tern.sender.source.MemorySource;
import tern.sender.transport.BandwidthLimiter;
import tern.sender.transport.MigrationChannel;
import tern.sender.transport.WireMeter;

/**
 * The pre-copy loop. Iteration 1 considers every page; each later iteration starts with a fetch
 * of the dirty log (or a digest scan for a source without one) and passes over the pages dirty
 * then; when what remains fits the downtime limit at the measured bandwidth, the source is paused
 * and a last stop-and-copy pass sends the rest. Runs on one thread, which alone owns every piece
 * of per-page state (bitmap, sent digests, XBZRLE cache): acknowledgements are taken from the
 * channel and applied here, so no page needs a lock.
 */
public final class PrecopyLoop {
    static final int PROTOCOL_VERSION = tern.common.wire.Protocol.PROTOCOL_VERSION;
    /** Stop-and-copy passes that may re-send pages whose acknowledgements disagreed, before giving up. */
    private static final int MAX_FINAL_PASSES = 4;
    private static final int MAX_RESYNC_ROUNDS = tern.common.wire.Protocol.MAX_RESYNC_ROUNDS;

    private final MemorySource source;
    private final EngineConfig cfg;
    private final MigrationChannel channel;
    private final EngineListener listener;
    private final WireMeter meter;
    private final int pages;
    private final int pageSize;
    private final DirtyLog log;
    private final FalseDirtyCauses causes;
    private final PageDigest digest;
    private final int digestLength;
    private final byte[] current;
    private final ByteBuffer scratch;
    private final ZeroPage zeroPage;
    private final PageBitmap bitmap;
    private final SentPages sent;
    private final XbzrleCache cache;
    private final XbzrleCodec codec;
    private final PageBatchEncoder encoder;
    private final BandwidthLimiter limiter;
    private final byte[] ackDigests;
    private InFlight[] ring;
    private int ringHead;
    private int inFlight;
    private int nextSequence = 1;
    private int window;

    private final IterationCounters it = new IterationCounters();
    private final List<IterationStats> iterations = new ArrayList<>();
    private int iteration;
    private Phase phase;
    private long ackMismatches;
    private long resyncPages;
    private long lastAckNanos;

    /** Null: a lost connection fails the migration. Else how long to keep trying to resume it. */
    private final Duration resumeTimeout;
    private ByteString resumeToken;
    private int reconnects;
    /** Bumped by each resume: a pass in progress starts over from page 0 to pick up pages put back. */
    private int resumeEpoch;
    /** Pages a resume found the receiver lacking; counted as resent when next sent. */
    private final PageBitmap resendPending;
    private final TableReconciler reconciler;

    public PrecopyLoop(MemorySource source, EngineConfig cfg, MigrationChannel channel, EngineListener listener) {
        this(source, cfg, channel, listener, null);
    }

    /**
     * @param resumeTimeout how long to keep reconnecting after the connection is lost (presenting
     *                      the migration's token), or null to fail the migration at once
     */
    public PrecopyLoop(MemorySource source, EngineConfig cfg, MigrationChannel channel, EngineListener listener,
                       Duration resumeTimeout) {
        this.resumeTimeout = resumeTimeout == null || resumeTimeout.isZero() ? null : resumeTimeout;
        PageGeometry g = source.geometry();
        this.source = source;
        this.cfg = cfg;
        this.channel = channel;
        this.listener = listener;
        this.meter = channel.meter();
        this.pages = g.pages();
        this.pageSize = g.pageSize();
        this.log = source.dirtyLog();
        if (log == null && cfg.mode() != Mode.DIGEST) {
            throw new IllegalArgumentException(source.describe() + " has no dirty log: dirty pages are found by digest"
                    + " scan, so only --mode digest applies (got --mode " + cfg.mode().cliName() + ")");
        }
        this.causes = source.causes();
        this.digest = cfg.digest().newDigest();
        this.digestLength = cfg.digest().length();
        this.current = new byte[digestLength];
        this.scratch = ByteBuffer.allocateDirect(pageSize);
        this.zeroPage = new ZeroPage(pageSize);
        this.bitmap = new PageBitmap(pages);
        // A scan source needs the sent digests to find dirty pages, whatever --audit says; so does
        // a resume, to tell which pages the receiver's table shows missing.
        this.sent = hashes() || this.resumeTimeout != null ? new SentPages(pages, digestLength) : null;
        this.cache = cfg.xbzrle() ? new XbzrleCache(cfg.xbzrleCacheBytes(), pageSize) : null;
        this.codec = cfg.xbzrle() ? new XbzrleCodec(pageSize) : null;
        this.encoder = new PageBatchEncoder(cfg.batchPages(), pageSize);
        this.limiter = new BandwidthLimiter(cfg.bandwidthBytesPerSecond());
        this.ackDigests = new byte[cfg.batchPages() * digestLength];
        this.resendPending = this.resumeTimeout != null ? new PageBitmap(pages) : null;
        this.reconciler = this.resumeTimeout != null
                ? new TableReconciler(pages, digestLength, sent, bitmap, resendPending, cache) : null;
    }

    private boolean hashes() {
        return cfg.hashes() || log == null;
    }

    /** Runs the migration to a verdict. On any failure the source is left running. */
    public MigrationResult run() throws MigrationFailure {
        long start = System.nanoTime();
        boolean paused = false;
        try {
            open();
            if (log != null) {
                log.reset(); // log every store from before the first page is read
            }
            bitmap.setAll();
            iteration = 1;
            phase = Phase.BULK;
            long pagesDirty = pages;
            Double dirtyRate = null;
            long lastFetch = System.nanoTime();
            long pausedAt = 0;
            boolean converged = false;
            long downtimeNanos;
            while (true) {
                beginIteration(pagesDirty, dirtyRate);
                pass();
                flush();
                if (phase == Phase.STOP_AND_COPY) {
                    // Pages whose acknowledgement showed the receiver holds something else are dirty
                    // again (invariant 3); the source is paused, so this ends.
                    for (int extra = 0; ; extra++) {
                        drainAll();
                        if (bitmap.nextSetBit(0) < 0) {
                            break;
                        }
                        if (extra >= MAX_FINAL_PASSES + reconnects) { // a resume may put pages back: not a disagreement
                            throw new MigrationFailure("receiver kept acknowledging digests that differ from what was sent");
                        }
                        pass();
                        flush();
                    }
                    // Downtime ends at the acknowledgement of the last stop-and-copy batch, or now
                    // if the pass had nothing to send (the last acknowledgement predates the pause).
                    downtimeNanos = (lastAckNanos > pausedAt ? lastAckNanos : System.nanoTime()) - pausedAt;
                    endIteration();
                    break;
                }
                IterationStats done = endIteration();
                fetch();
                long now = System.nanoTime();
                pagesDirty = bitmap.cardinality();
                dirtyRate = pagesDirty / Math.max(1e-9, (now - lastFetch) / 1e9);
                lastFetch = now;
                Decision d = decide(pagesDirty, done, now - start);
                iteration++;
                if (d == Decision.CONTINUE) {
                    phase = Phase.ITERATIVE;
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
                paused = true; // before pause(): one that fails half-way (SIGSTOP sent) must still be undone
                source.pause();
                fetch(); // the final sync: everything written up to the pause
                pagesDirty = bitmap.cardinality();
                phase = Phase.STOP_AND_COPY;
            }
            long verifyStart = System.nanoTime();
            Verdict verdict = complete();
            long verifyNanos = System.nanoTime() - verifyStart;
            if (!verdict.getOk()) {
                throw new MigrationFailure("receiver refused completion: " + verdict.getReason());
            }
            channel.finish();
            afterSuccess();
            return new MigrationResult(List.copyOf(iterations), summary(true, null, converged,
                    System.nanoTime() - start, downtimeNanos, verifyNanos, RootDigest.hex(verdict.getRootDigest().toByteArray()),
                    verdict.getPagesAlreadyHeld()));
        } catch (Exception e) {
            // Whatever failed (the receiver, the stream, the source's pause), the workload goes on.
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            channel.abort(why);
            if (paused) {
                resumeAfterFailure();
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            MigrationFailure f = e instanceof MigrationFailure mf ? mf : new MigrationFailure(why, e);
            throw f.withPartial(partial(start, f.getMessage()));
        }
    }

    private void open() throws MigrationChannel.ChannelException, InterruptedException, MigrationFailure {
        channel.open();
        channel.send(SenderMessage.newBuilder().setHello(hello()).build());
        ReceiverMessage reply = channel.take();
        if (!reply.hasAccept()) {
            throw new MigrationFailure("receiver answered hello with " + reply.getKindCase() + " instead of accept");
        }
        Accept a = reply.getAccept();
        if (a.getImageState() != ImageState.ZEROED) {
            throw new MigrationFailure("receiver offers image state " + a.getImageState() + "; this sender starts from a zeroed image only");
        }
        resumeToken = a.getResumeToken();
        window = Math.max(1, Math.min(cfg.window(), a.getWindow() == 0 ? cfg.window() : a.getWindow()));
        ring = new InFlight[window];
        for (int i = 0; i < window; i++) {
            ring[i] = new InFlight(cfg.batchPages());
        }
        if (sent != null) {
            // A new image holds zero pages: that is the latest version the receiver has of each.
            digest.digest(ByteBuffer.allocate(pageSize), current, 0);
            sent.digests.fill(current);
        }
    }

    private Hello.Builder hello() {
        Hello.Builder h = Hello.newBuilder()
                .setProtocolVersion(PROTOCOL_VERSION)
                .setMigrationId(cfg.migrationId())
                .setPageSize(pageSize)
                .setPageCount(pages)
                .setDigest(cfg.digest().toProto())
                .addEncodings(PageEncoding.RAW)
                .addEncodings(PageEncoding.ZERO)
                .setMaxBatchPages(cfg.batchPages())
                .setStreamIndex(0)
                .setStreamCount(1);
        if (cfg.xbzrle()) {
            h.addEncodings(PageEncoding.XBZRLE);
        }
        return h;
    }

    private void beginIteration(long pagesDirty, Double dirtyRate) throws Exception {
        String name = phaseName(phase);
        // counters first: a resume while the mark goes out is this iteration's
        it.start(iteration, name, pagesDirty, dirtyRate, meter.outbound(), meter.inbound());
        send(mark()); // a resume instead re-announces this iteration itself
        listener.beforePass(iteration, name);
    }

    private IterationStats endIteration() {
        IterationStats s = it.finish(meter.outbound(), meter.inbound(), hashes(), causes != null);
        iterations.add(s);
        listener.iterationDone(s);
        return s;
    }

    private SenderMessage mark() {
        return SenderMessage.newBuilder()
                .setMark(IterationMark.newBuilder().setIteration(iteration).setPhase(phase)).build();
    }

    /**
     * One pass over the bitmap. Bits are cleared when their batch is handed to the transport. A
     * resume puts pages back anywhere in the bitmap, so the pass then starts over from page 0.
     */
    private void pass() throws Exception {
        int epoch = resumeEpoch;
        for (int p = bitmap.nextSetBit(0); p >= 0; ) {
            capture(p);
            if (epoch != resumeEpoch) {
                epoch = resumeEpoch;
                p = bitmap.nextSetBit(0);
            } else {
                p = bitmap.nextSetBit(p + 1);
            }
        }
    }

    private void capture(int p) throws Exception {
        boolean storedSince = false;
        if (log != null && cfg.mode().clearsPerPage()) {
            // Invariant 2: the log bit is cleared BEFORE the bytes are read. A store that lands
            // after the clear is logged again and resent; clearing after the read could forget a
            // store that landed between the read and the clear.
            log.clear(p);
        }
        if (causes != null) {
            storedSince = causes.storedSinceCaptureAndReset(p);
        }
        scratch.clear();
        scratch.put(source.page(p));
        scratch.flip();
        source.afterCapture(p);
        boolean resend = resendPending != null && resendPending.get(p);
        if (resend) {
            resendPending.clear(p);
        }

        boolean same = false;
        if (sent != null) {
            digest.digest(scratch, current, 0);
            same = sent.digests.matches(p, current, 0);
        }
        if (same) {
            if (phase != Phase.BULK) {
                // False dirty: reported dirty, yet holding the latest version sent. The bulk pass's
                // pages were not reported by any log; those the receiver holds (zero) are only skipped.
                it.falseDirty++;
                if (storedSince) {
                    it.falseDirtySilent++;
                } else {
                    it.falseDirtyBeforeRead++;
                }
            }
            if (cfg.mode() == Mode.DIGEST) {
                // Invariant 3: skipped because its bytes equal the latest version sent. If that
                // version is still in flight, its acknowledgement confirms or re-dirties the page.
                it.skipped++;
                bitmap.clear(p);
                return;
            }
        } else if (sent != null) {
            it.oraclePages++;
        }
        encode(p);
        if (resend) {
            it.resent++;
        }
        if (sent != null) {
            sent.sent(p, current, 0, nextSequence);
        }
        if (encoder.full()) {
            flush();
        }
    }

    private void encode(int p) {
        if (zeroPage.isZero(scratch)) {
            it.zero++;
            if (cache != null) {
                cache.invalidate(p);
            }
            add(p, PageEncoding.ZERO, 0);
            return;
        }
        // XBZRLE from iteration 2 on, as QEMU: the bulk pass has no earlier version to delta against.
        if (cache != null && iteration >= 2) {
            ByteBuffer old = cache.get(p);
            if (old != null) {
                int n = codec.encode(old, scratch, encoder.payloadArray(), encoder.payloadOffset(), pageSize);
                cache.put(p, scratch);
                if (n >= 0) {
                    it.xbzrleHits++;
                    add(p, PageEncoding.XBZRLE, n);
                    return;
                }
                it.xbzrleOverflows++;
            } else {
                it.xbzrleMisses++;
                cache.put(p, scratch);
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
    private void flush() throws Exception {
        if (encoder.empty()) {
            return;
        }
        while (inFlight >= window) {
            ReceiverMessage m = take();
            if (m != null) {
                handle(m);
            }
        }
        if (encoder.empty()) {
            return; // a resume while waiting dropped the batch; its pages are still dirty
        }
        limiter.awaitTurn();
        long before = meter.outbound();
        int seq = nextSequence++;
        if (!send(encoder.message(seq, iteration))) {
            return;
        }
        limiter.sent(meter.outbound() - before);
        InFlight f = ring[(ringHead + inFlight) % window];
        f.sequence = seq;
        f.count = encoder.count();
        for (int i = 0; i < f.count; i++) {
            int p = encoder.page(i);
            f.pages[i] = p;
            // Reconcile: the bitmap forgets a page only once its bytes are in the transport.
            bitmap.clear(p);
        }
        inFlight++;
        encoder.reset();
        ReceiverMessage m;
        while ((m = poll()) != null) {
            handle(m);
        }
        listener.batchSent(iteration, it.sent, it.skipped, it.pagesDirty, meter.outbound() - it.wireStart);
    }

    private void drainAll() throws Exception {
        while (inFlight > 0) {
            ReceiverMessage m = take();
            if (m != null) {
                handle(m);
            }
        }
    }

    private void handle(ReceiverMessage m) throws MigrationFailure {
        if (!m.hasAck()) {
            throw new MigrationFailure("receiver sent " + m.getKindCase() + " while batches were in flight");
        }
        BatchAck a = m.getAck();
        InFlight f = ring[ringHead];
        if (inFlight == 0 || a.getSequence() != f.sequence) {
            throw new MigrationFailure("receiver acknowledged batch " + a.getSequence() + ", expected "
                    + (inFlight == 0 ? "none" : Integer.toString(f.sequence)));
        }
        if (a.getDigests().size() != f.count * digestLength) {
            throw new MigrationFailure("receiver's acknowledgement of batch " + f.sequence + " has "
                    + a.getDigests().size() + " digest bytes for " + f.count + " pages");
        }
        if (sent != null) {
            a.getDigests().copyTo(ackDigests, 0);
            for (int i = 0; i < f.count; i++) {
                int p = f.pages[i];
                if (!sent.latestIn(p, f.sequence)) {
                    continue; // a later version is in flight; its own acknowledgement settles the page
                }
                if (sent.digests.matches(p, ackDigests, i * digestLength)) {
                    sent.acknowledged(p);
                } else {
                    // Invariant 3: the receiver stored something other than what was sent.
                    sent.receiverHolds(p, ackDigests, i * digestLength);
                    bitmap.set(p);
                    if (cache != null) {
                        cache.invalidate(p);
                    }
                    it.ackMismatches++;
                    ackMismatches++;
                }
            }
        }
        ringHead = (ringHead + 1) % window;
        inFlight--;
        lastAckNanos = System.nanoTime();
    }

    // ---------------------------------------------------------------- the channel, resuming on loss

    private boolean send(SenderMessage m) throws Exception {
        return send(new ProtoWire(m));
    }

    /** Sends {@code m}; false when the connection was lost and the migration resumed instead (m is dropped). */
    private boolean send(WireMessage m) throws Exception {
        try {
            channel.send(m);
            return true;
        } catch (MigrationChannel.ChannelException e) {
            resume(e);
            return false;
        }
    }

    /** The next reply; null when the connection was lost and the migration resumed (nothing is in flight then). */
    private ReceiverMessage take() throws Exception {
        try {
            return channel.take();
        } catch (MigrationChannel.ChannelException e) {
            resume(e);
            return null;
        }
    }

    private ReceiverMessage poll() throws Exception {
        try {
            return channel.poll();
        } catch (MigrationChannel.ChannelException e) {
            resume(e);
            return null;
        }
    }

    /**
     * The connection was lost: reconnect with back-off, presenting the migration's token, until
     * the receiver accepts or --resume-timeout runs out; then take its table as the latest version
     * it holds of every page ({@link #reconcile}). Batches in flight are forgotten (their pages
     * are dirty again where the table shows they did not arrive) and the stream starts over at
     * sequence 1 with a mark for the current iteration. The source keeps running meanwhile.
     */
    private void resume(MigrationChannel.ChannelException cause) throws Exception {
        if (resumeTimeout == null || resumeToken == null || !cause.resumable()) {
            throw new MigrationFailure(cause.getMessage());
        }
        listener.message("connection lost (" + cause.getMessage() + "); resuming, for up to "
                + Durations.format(resumeTimeout));
        long start = System.nanoTime();
        long deadline = start + resumeTimeout.toNanos();
        long backoffMs = 50;
        String last = cause.getMessage();
        for (int attempt = 1; ; attempt++) {
            try {
                channel.reconnect();
                channel.open();
                channel.send(SenderMessage.newBuilder().setHello(hello().setResumeToken(resumeToken)).build());
                ReceiverMessage reply = channel.take(Math.max(1, deadline - System.nanoTime()));
                if (!reply.hasAccept() || reply.getAccept().getImageState() != ImageState.FROM_TABLE) {
                    throw new MigrationFailure("receiver answered a resuming hello with " + reply.getKindCase()
                            + (reply.hasAccept() ? " of image state " + reply.getAccept().getImageState() : ""));
                }
                long lacking = reconcile(deadline);
                channel.send(mark());
                reconnects++;
                it.reconnects++;
                resumeEpoch++;
                listener.message("resumed after " + attempt + " attempt(s) in " + (System.nanoTime() - start) / 1_000_000
                        + " ms (reconnect " + reconnects + "): the receiver lacks " + lacking + " pages sent; resending them");
                listener.resumed(reconnects, lacking);
                return;
            } catch (MigrationChannel.ChannelException e) {
                if (!e.resumable()) {
                    throw new MigrationFailure("could not resume: " + e.getMessage());
                }
                last = e.getMessage();
            }
            if (System.nanoTime() + backoffMs * 1_000_000 >= deadline) {
                throw new MigrationFailure("could not resume within --resume-timeout " + Durations.format(resumeTimeout)
                        + " (" + attempt + " attempts): " + last);
            }
            // back-off between connection attempts: a real wait, not a synchronisation
            Thread.sleep(backoffMs);
            backoffMs = Math.min(backoffMs * 2, 2_000);
        }
    }

    /**
     * Forgets the batches in flight (XBZRLE entries of their pages are dropped: unacknowledged)
     * and reads the receiver's table, in chunks, into the sender's view ({@link TableReconciler}).
     *
     * @return the pages put back
     */
    private long reconcile(long deadline) throws Exception {
        if (cache != null) {
            for (int i = 0; i < inFlight; i++) {
                InFlight f = ring[(ringHead + i) % window];
                for (int j = 0; j < f.count; j++) {
                    cache.invalidate(f.pages[j]);
                }
            }
        }
        ringHead = 0;
        inFlight = 0;
        nextSequence = 1;
        encoder.reset(); // its pages' bits are still set: the pass sends them again
        reconciler.begin();
        while (true) {
            ReceiverMessage m = channel.take(Math.max(1, deadline - System.nanoTime()));
            if (!m.hasTable()) {
                throw new MigrationFailure("receiver sent " + m.getKindCase() + " instead of its digest table");
            }
            if (reconciler.apply(m.getTable())) {
                return reconciler.lacking();
            }
        }
    }

    /** ORs what was dirtied since the last fetch into the bitmap. */
    private void fetch() {
        if (log != null) {
            log.fetch(bitmap, cfg.mode() == Mode.SYNC_CLEAR);
            return;
        }
        // No dirty log: the fetch is a digest scan (DESIGN.md); a page is dirty when its digest
        // differs from the latest version sent.
        for (int p = 0; p < pages; p++) {
            digest.digest(source.page(p), current, 0);
            if (!sent.digests.matches(p, current, 0)) {
                bitmap.set(p);
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
        double skipShare = cfg.mode() == Mode.DIGEST && last.pagesDirty() > 0
                ? (double) last.pagesSkipped() / last.pagesDirty() : 0;
        double remaining = pagesDirty * (double) pageSize * (1 - skipShare);
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

    private static double bandwidthOf(IterationStats s) {
        return s.bytesOnWire() / Math.max(1e-3, s.durationMs() / 1e3);
    }

    /** Sends the source's root and answers the receiver's resync requests until its verdict. */
    private Verdict complete() throws Exception {
        byte[] root = sourceRoot();
        for (int round = 0; ; ) {
            if (bitmap.nextSetBit(0) >= 0) {
                // a resume found pages the receiver lacks (the source is paused): send them first
                resendAfterResume();
                continue;
            }
            if (!send(SenderMessage.newBuilder().setComplete(Complete.newBuilder()
                    .setRootDigest(ByteString.copyFrom(root))
                    .setLastSequence(nextSequence - 1)).build())) {
                continue;
            }
            ReceiverMessage reply = take();
            if (reply == null) {
                continue;
            }
            if (reply.hasVerdict()) {
                return reply.getVerdict();
            }
            if (!reply.hasResync() || round == MAX_RESYNC_ROUNDS) {
                throw new MigrationFailure("receiver answered completion with " + reply.getKindCase());
            }
            round++;
            resync(reply.getResync());
        }
    }

    /** A pass of its own (phase resync) over the pages a resume during completion put back. */
    private void resendAfterResume() throws Exception {
        iteration++;
        phase = Phase.RESYNC;
        beginIteration(bitmap.cardinality(), null);
        for (int extra = 0; bitmap.nextSetBit(0) >= 0; extra++) {
            if (extra >= MAX_FINAL_PASSES + reconnects) {
                throw new MigrationFailure("receiver kept acknowledging digests that differ from what was sent");
            }
            pass();
            flush();
            drainAll();
        }
        endIteration();
    }

    /** The image drifted from what the receiver stored: record what it holds and resend those pages. */
    private void resync(Resync r) throws Exception {
        if (r.getDigests().size() != r.getPageIndexesCount() * digestLength) {
            throw new MigrationFailure("receiver's resync has " + r.getDigests().size() + " digest bytes for "
                    + r.getPageIndexesCount() + " pages");
        }
        byte[] d = r.getDigests().toByteArray();
        for (int i = 0; i < r.getPageIndexesCount(); i++) {
            long p = r.getPageIndexes(i);
            if (p < 0 || p >= pages) {
                throw new MigrationFailure("receiver's resync names page " + p + " of " + pages);
            }
            if (sent != null) {
                sent.receiverHolds((int) p, d, i * digestLength);
            }
            if (cache != null) {
                cache.invalidate((int) p);
            }
            bitmap.set((int) p);
        }
        resyncPages += r.getPageIndexesCount();
        listener.message("receiver found " + r.getPageIndexesCount() + " pages changed in its image; resending them");
        iteration++;
        phase = Phase.RESYNC;
        beginIteration(r.getPageIndexesCount(), null);
        for (int extra = 0; bitmap.nextSetBit(0) >= 0; extra++) {
            if (extra >= MAX_FINAL_PASSES + reconnects) {
                throw new MigrationFailure("receiver kept acknowledging digests that differ from what was sent");
            }
            pass();
            flush();
            drainAll();
        }
        endIteration();
    }

    /** SHA-256 over the digests of the source's pages as they are now (paused). */
    private byte[] sourceRoot() {
        RootDigest root = new RootDigest();
        for (int p = 0; p < pages; p++) {
            digest.digest(source.page(p), current, 0);
            root.add(current, 0, digestLength);
        }
        return root.finish();
    }

    private void afterSuccess() throws Exception {
        switch (cfg.afterSuccess()) {
            case CONTINUE -> source.resume();
            case KILL -> source.terminate();
            default -> {
                // stay paused: two live copies of a workload is what a migration must never cause
            }
        }
    }

    private void resumeAfterFailure() {
        try {
            source.resume();
        } catch (Exception e) {
            listener.message("could not resume the source after the failure: " + e.getMessage());
        }
    }

    private MigrationResult partial(long start, String error) {
        return new MigrationResult(List.copyOf(iterations),
                summary(false, error, false, System.nanoTime() - start, null, null, null, null));
    }

    private MigrationSummary summary(boolean verified, String error, boolean converged, long totalNanos,
                                     Long downtimeNanos, Long verifyNanos, String root, Long alreadyHeld) {
        long sentPages = 0, skipped = 0, falseDirty = 0, zero = 0, hits = 0, payload = 0, oracle = 0, resent = 0;
        for (IterationStats s : iterations) {
            resent += s.pagesResent();
            sentPages += s.pagesSent();
            skipped += s.pagesSkipped();
            falseDirty += s.pagesFalseDirty() == null ? 0 : s.pagesFalseDirty();
            zero += s.pagesZero();
            hits += s.xbzrleHits();
            payload += s.payloadBytes();
            oracle += s.oraclePages();
        }
        return new MigrationSummary(cfg.mode().cliName(), cfg.digest().cliName(), cfg.xbzrle(), source.describe(),
                verified, error, converged, iterations.size(), totalNanos / 1_000_000,
                downtimeNanos == null ? null : downtimeNanos / 1_000_000,
                verifyNanos == null ? null : verifyNanos / 1_000_000, pageSize, pages, sentPages, skipped, hashes() ? falseDirty : null, zero, hits,
                ackMismatches, resyncPages, alreadyHeld, payload, meter.outbound(), meter.inbound(),
                hashes() ? oracle * pageSize : null, root, reconnects, resent);
    }

    static String phaseName(Phase p) {
        return switch (p) {
            case BULK -> "bulk";
            case ITERATIVE -> "iterative";
            case STOP_AND_COPY -> "stop-and-copy";
            case RESYNC -> "resync";
            default -> p.name();
        };
    }

    /** A batch handed to the transport and not yet acknowledged; reused, so nothing is allocated per batch page. */
    private static final class InFlight {
        final int[] pages;
        int sequence;
        int count;

        InFlight(int maxPages) {
            this.pages = new int[maxPages];
        }
    }
}
