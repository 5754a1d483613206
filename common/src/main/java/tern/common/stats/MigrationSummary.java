package tern.common.stats;

import java.util.List;

/**
 * The figures of one whole migration. Users script against the JSON names: keep them stable.
 * Null means not measured (reported as unknown, never estimated).
 *
 * <p>Only {@link #of} makes one: the totals are summed from the iterations (so they cannot
 * disagree with them), the rest are facts of the run, given by name ({@link #facts()}). The link's
 * own counts (bytes on the wire, acknowledgement bytes, reconnects) are the run's, as the transport
 * counted them; what of them fell outside every iteration (the hello and its acceptance, the
 * completion and the verdict) is reported beside them, so those totals too are the sum of the
 * iteration lines plus that part. A new total is a component, its JSON key and its sum in
 * {@code of}; a new fact, a component, its key and a setter.
 */
public record MigrationSummary(
        String mode,
        String digest,
        boolean xbzrle,
        String source,
        boolean verified,
        String error,
        boolean converged,
        int iterations,
        long totalMs,
        Long downtimeMs,
        Long verifyMs,
        int pageSize,
        long pagesTotal,
        long pagesSent,
        long pagesSkipped,
        Long pagesFalseDirty,
        long pagesZero,
        long xbzrleHits,
        long ackMismatches,
        long resyncPages,
        Long pagesAlreadyHeld,
        long payloadBytes,
        long bytesOnWire,
        long ackBytes,
        Long oracleBytes,
        String rootDigest,
        int reconnects,
        long pagesResent,
        long bytesOnWireOutsideIterations,
        long ackBytesOutsideIterations,
        int reconnectsOutsideIterations) {

    /** The run's facts, by name, for {@link #of}. */
    public static Facts facts() {
        return new Facts();
    }

    /**
     * The summary of {@code iterations} (every iteration begun, in order; a failed migration's last
     * one unfinished) and the run's {@code facts}. A count an iteration left unknown, or that the run did not measure (pages not
     * hashed), is unknown in the total too.
     */
    public static MigrationSummary of(List<IterationStats> iterations, Facts facts) {
        long sent = 0, skipped = 0, zero = 0, hits = 0, mismatches = 0, payload = 0, oracle = 0, resent = 0;
        long falseDirty = 0, wire = 0, acks = 0;
        int reconnects = 0;
        boolean falseDirtyKnown = facts.pagesHashed;
        for (IterationStats s : iterations) {
            wire += s.bytesOnWire();
            acks += s.ackBytes();
            reconnects += s.reconnects();
            sent += s.pagesSent();
            skipped += s.pagesSkipped();
            zero += s.pagesZero();
            hits += s.xbzrleHits();
            mismatches += s.ackMismatches();
            payload += s.payloadBytes();
            oracle += s.oraclePages();
            resent += s.pagesResent();
            if (s.pagesFalseDirty() == null) {
                falseDirtyKnown = false;
            } else {
                falseDirty += s.pagesFalseDirty();
            }
        }
        Facts f = facts;
        return new MigrationSummary(f.mode, f.digest, f.xbzrle, f.source, f.verified, f.error, f.converged,
                iterations.size(), f.totalMs, f.downtimeMs, f.verifyMs, f.pageSize, f.pagesTotal, sent, skipped,
                falseDirtyKnown ? falseDirty : null, zero, hits, mismatches, f.resyncPages, f.pagesAlreadyHeld, payload,
                f.bytesOnWire, f.ackBytes, f.pagesHashed ? oracle * f.pageSize : null, f.rootDigest, f.reconnects,
                resent, f.bytesOnWire - wire, f.ackBytes - acks, f.reconnects - reconnects);
    }

    /** The stats file's keys, in this order (documented; scripts and tests read them). */
    public Json toJson() {
        return Json.object()
                .put("type", "summary")
                .put("mode", mode)
                .put("digest", digest)
                .put("xbzrle", xbzrle)
                .put("source", source)
                .put("verified", verified)
                .put("error", error)
                .put("converged", converged)
                .put("iterations", iterations)
                .put("total_ms", totalMs)
                .put("downtime_ms", downtimeMs)
                .put("verify_ms", verifyMs)
                .put("page_size", pageSize)
                .put("pages_total", pagesTotal)
                .put("pages_sent", pagesSent)
                .put("pages_skipped", pagesSkipped)
                .put("pages_false_dirty", pagesFalseDirty)
                .put("pages_zero", pagesZero)
                .put("xbzrle_hits", xbzrleHits)
                .put("ack_mismatches", ackMismatches)
                .put("resync_pages", resyncPages)
                .put("pages_already_held", pagesAlreadyHeld)
                .put("payload_bytes", payloadBytes)
                .put("bytes_on_wire", bytesOnWire)
                .put("ack_bytes", ackBytes)
                .put("oracle_bytes", oracleBytes)
                .put("root_digest", rootDigest)
                .put("reconnects", reconnects)
                .put("pages_resent", pagesResent)
                .put("bytes_on_wire_outside_iterations", bytesOnWireOutsideIterations)
                .put("ack_bytes_outside_iterations", ackBytesOutsideIterations)
                .put("reconnects_outside_iterations", reconnectsOutsideIterations);
    }

    /**
     * What the run itself knows, not any iteration: the set-up, the outcome, its times, the
     * transport's byte counts, the receiver's answers. Not set: false, 0, or unknown (null).
     */
    public static final class Facts {
        private String mode;
        private String digest;
        private boolean xbzrle;
        private String source;
        private boolean verified;
        private String error;
        private boolean converged;
        private long totalMs;
        private Long downtimeMs;
        private Long verifyMs;
        private int pageSize;
        private long pagesTotal;
        private boolean pagesHashed;
        private long resyncPages;
        private Long pagesAlreadyHeld;
        private long bytesOnWire;
        private long ackBytes;
        private String rootDigest;
        private int reconnects;

        private Facts() {
        }

        public Facts mode(String v) { mode = v; return this; }
        public Facts digest(String v) { digest = v; return this; }
        public Facts xbzrle(boolean v) { xbzrle = v; return this; }
        public Facts source(String v) { source = v; return this; }
        public Facts verified(boolean v) { verified = v; return this; }
        public Facts error(String v) { error = v; return this; }
        public Facts converged(boolean v) { converged = v; return this; }
        public Facts totalMs(long v) { totalMs = v; return this; }
        public Facts downtimeMs(Long v) { downtimeMs = v; return this; }
        public Facts verifyMs(Long v) { verifyMs = v; return this; }
        public Facts pageSize(int v) { pageSize = v; return this; }
        public Facts pagesTotal(long v) { pagesTotal = v; return this; }
        /** Pages were hashed (digest mode, --audit on, a scan source): false dirty pages and the oracle were counted. */
        public Facts pagesHashed(boolean v) { pagesHashed = v; return this; }
        public Facts resyncPages(long v) { resyncPages = v; return this; }
        public Facts pagesAlreadyHeld(Long v) { pagesAlreadyHeld = v; return this; }
        public Facts bytesOnWire(long v) { bytesOnWire = v; return this; }
        public Facts ackBytes(long v) { ackBytes = v; return this; }
        public Facts rootDigest(String v) { rootDigest = v; return this; }
        public Facts reconnects(int v) { reconnects = v; return this; }
    }
}
