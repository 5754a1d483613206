package tern.common.stats;

/**
 * Figures of one iteration, each counted by the code path that did the work (invariant 5).
 * {@code reconnects} counts the resumes after a lost connection during the iteration, and
 * {@code pagesResent} the pages sent again because a resume showed the receiver lacked them.
 * A null count was not measured ({@code --audit off}, or a workload that cannot tell the causes apart).
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
        long pagesResent) {

    public Double falseDirtyShare() {
        return pagesFalseDirty == null || pagesDirty == 0 ? null : (double) pagesFalseDirty / pagesDirty;
    }

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
                .put("pages_resent", pagesResent);
    }
}
