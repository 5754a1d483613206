package tern.common.stats;

import java.util.Objects;

/**
 * Figures of one iteration, each counted by the code path that did the work (invariant 5).
 * {@code reconnects} counts the resumes after a lost connection during the iteration, and
 * {@code pagesResent} the pages sent again because a resume showed the receiver lacked them.
 * {@code finished} is false for the iteration a failed or interrupted migration was in: its counts
 * are what it did until then, so the summary's totals, summed over every line, include them.
 * A null count was not measured ({@code --audit off}, or a workload that cannot tell the causes apart).
 * Built by name ({@link #builder()}); a new figure is a component, its builder setter and its JSON key here.
 */
public record IterationStats(
        int iteration,
        String phase,
        long pagesDirty,
        Long pagesFalseDirty,
        Long falseDirtyBeforeRead,
        Long falseDirtySilent,
        long pagesSent,
        long pagesSkipped,
        long pagesZero,
        long xbzrleHits,
        long xbzrleMisses,
        long xbzrleOverflows,
        long payloadBytes,
        long oraclePages,
        long ackMismatches,
        long bytesOnWire,
        long ackBytes,
        long durationMs,
        Double dirtyRate,
        int reconnects,
        long pagesResent,
        boolean finished) {

    public IterationStats {
        Objects.requireNonNull(phase, "phase");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** These figures under another iteration number (a pass numbered once its source said which it was). */
    public IterationStats withIteration(int number) {
        return new IterationStats(number, phase, pagesDirty, pagesFalseDirty, falseDirtyBeforeRead, falseDirtySilent,
                pagesSent, pagesSkipped, pagesZero, xbzrleHits, xbzrleMisses, xbzrleOverflows, payloadBytes, oraclePages,
                ackMismatches, bytesOnWire, ackBytes, durationMs, dirtyRate, reconnects, pagesResent, finished);
    }

    public Double falseDirtyShare() {
        return pagesFalseDirty == null || pagesDirty == 0 ? null : (double) pagesFalseDirty / pagesDirty;
    }

    /** The stats file's keys, in this order (documented; scripts and tests read them). */
    public Json toJson() {
        return Json.object()
                .put("type", "iteration")
                .put("iteration", iteration)
                .put("phase", phase)
                .put("pages_dirty", pagesDirty)
                .put("pages_false_dirty", pagesFalseDirty)
                .put("false_dirty_share", falseDirtyShare())
                .put("false_dirty_before_read", falseDirtyBeforeRead)
                .put("false_dirty_silent", falseDirtySilent)
                .put("pages_sent", pagesSent)
                .put("pages_skipped", pagesSkipped)
                .put("pages_zero", pagesZero)
                .put("xbzrle_hits", xbzrleHits)
                .put("xbzrle_misses", xbzrleMisses)
                .put("xbzrle_overflows", xbzrleOverflows)
                .put("payload_bytes", payloadBytes)
                .put("oracle_pages", oraclePages)
                .put("ack_mismatches", ackMismatches)
                .put("bytes_on_wire", bytesOnWire)
                .put("ack_bytes", ackBytes)
                .put("duration_ms", durationMs)
                .put("dirty_rate", dirtyRate)
                .put("reconnects", reconnects)
                .put("pages_resent", pagesResent)
                .put("finished", finished);
    }

    /**
     * Each figure by name, so two counts of one type cannot be swapped unseen. A count not set is
     * 0; a nullable figure not set is unknown; an iteration not said otherwise is finished.
     */
    public static final class Builder {
        private int iteration;
        private String phase;
        private long pagesDirty;
        private Long pagesFalseDirty;
        private Long falseDirtyBeforeRead;
        private Long falseDirtySilent;
        private long pagesSent;
        private long pagesSkipped;
        private long pagesZero;
        private long xbzrleHits;
        private long xbzrleMisses;
        private long xbzrleOverflows;
        private long payloadBytes;
        private long oraclePages;
        private long ackMismatches;
        private long bytesOnWire;
        private long ackBytes;
        private long durationMs;
        private Double dirtyRate;
        private int reconnects;
        private long pagesResent;
        private boolean finished = true;

        private Builder() {
        }

        public Builder iteration(int v) { iteration = v; return this; }
        public Builder phase(String v) { phase = v; return this; }
        public Builder pagesDirty(long v) { pagesDirty = v; return this; }
        public Builder pagesFalseDirty(Long v) { pagesFalseDirty = v; return this; }
        public Builder falseDirtyBeforeRead(Long v) { falseDirtyBeforeRead = v; return this; }
        public Builder falseDirtySilent(Long v) { falseDirtySilent = v; return this; }
        public Builder pagesSent(long v) { pagesSent = v; return this; }
        public Builder pagesSkipped(long v) { pagesSkipped = v; return this; }
        public Builder pagesZero(long v) { pagesZero = v; return this; }
        public Builder xbzrleHits(long v) { xbzrleHits = v; return this; }
        public Builder xbzrleMisses(long v) { xbzrleMisses = v; return this; }
        public Builder xbzrleOverflows(long v) { xbzrleOverflows = v; return this; }
        public Builder payloadBytes(long v) { payloadBytes = v; return this; }
        public Builder oraclePages(long v) { oraclePages = v; return this; }
        public Builder ackMismatches(long v) { ackMismatches = v; return this; }
        public Builder bytesOnWire(long v) { bytesOnWire = v; return this; }
        public Builder ackBytes(long v) { ackBytes = v; return this; }
        public Builder durationMs(long v) { durationMs = v; return this; }
        public Builder dirtyRate(Double v) { dirtyRate = v; return this; }
        public Builder reconnects(int v) { reconnects = v; return this; }
        public Builder pagesResent(long v) { pagesResent = v; return this; }
        public Builder finished(boolean v) { finished = v; return this; }

        public IterationStats build() {
            // the one positional call: in the order of the components declared above
            return new IterationStats(iteration, phase, pagesDirty, pagesFalseDirty, falseDirtyBeforeRead,
                    falseDirtySilent, pagesSent, pagesSkipped, pagesZero, xbzrleHits, xbzrleMisses, xbzrleOverflows,
                    payloadBytes, oraclePages, ackMismatches, bytesOnWire, ackBytes, durationMs, dirtyRate, reconnects,
                    pagesResent, finished);
        }
    }
}
