package tern.common.stats;

/**
 * The figures of one whole migration. Users script against the JSON names: keep them stable.
 * Null means not measured (reported as unknown, never estimated).
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
        long pagesResent) {

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
                .put("pages_resent", pagesResent);
    }
}
