package tern.common.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import tern.common.json.JsonObjects;
import org.junit.jupiter.api.Test;

/**
 * The stats file's keys and their order are documented and read by scripts and tests: building
 * the records by name must not move or rename one.
 */
class StatsJsonKeysTest {
    static List<String> keys(Json j) {
        return List.copyOf(JsonObjects.parse(j.toString()).keySet());
    }

    @Test
    void iterationKeys() {
        assertEquals(List.of("type", "iteration", "phase", "pages_dirty", "pages_false_dirty", "false_dirty_share",
                "false_dirty_before_read", "false_dirty_silent", "pages_sent", "pages_skipped", "pages_zero",
                "xbzrle_hits", "xbzrle_misses", "xbzrle_overflows", "payload_bytes", "oracle_pages", "ack_mismatches",
                "bytes_on_wire", "ack_bytes", "duration_ms", "dirty_rate", "reconnects", "pages_resent", "finished"),
                keys(IterationStats.builder().phase("bulk").build().toJson()));
    }

    @Test
    void summaryKeys() {
        assertEquals(List.of("type", "mode", "digest", "xbzrle", "source", "verified", "error", "converged",
                "iterations", "total_ms", "downtime_ms", "verify_ms", "page_size", "pages_total", "pages_sent",
                "pages_skipped", "pages_false_dirty", "pages_zero", "xbzrle_hits", "ack_mismatches", "resync_pages",
                "pages_already_held", "payload_bytes", "bytes_on_wire", "ack_bytes", "oracle_bytes", "root_digest",
                "reconnects", "pages_resent", "bytes_on_wire_outside_iterations", "ack_bytes_outside_iterations",
                "reconnects_outside_iterations"),
                keys(MigrationSummary.of(List.of(), MigrationSummary.facts()).toJson()));
    }

    /** Each builder setter lands in its own key (a swap of two same-typed figures would show here). */
    @Test
    void eachIterationFigureLandsInItsKey() {
        IterationStats s = IterationStats.builder().iteration(1).phase("iterative").pagesDirty(2).pagesFalseDirty(3L)
                .falseDirtyBeforeRead(4L).falseDirtySilent(5L).pagesSent(6).pagesSkipped(7).pagesZero(8)
                .xbzrleHits(9).xbzrleMisses(10).xbzrleOverflows(11).payloadBytes(12).oraclePages(13)
                .ackMismatches(14).bytesOnWire(15).ackBytes(16).durationMs(17).dirtyRate(18.0).reconnects(19)
                .pagesResent(20).build();
        Json j = s.toJson();
        List<String> counted = List.of("iteration", "pages_dirty", "pages_false_dirty", "false_dirty_before_read",
                "false_dirty_silent", "pages_sent", "pages_skipped", "pages_zero", "xbzrle_hits", "xbzrle_misses",
                "xbzrle_overflows", "payload_bytes", "oracle_pages", "ack_mismatches", "bytes_on_wire", "ack_bytes",
                "duration_ms");
        for (int i = 0; i < counted.size(); i++) {
            assertEquals(i + 1, ((Number) j.get(counted.get(i))).longValue(), counted.get(i));
        }
        assertEquals(18.0, j.get("dirty_rate"));
        assertEquals(19, j.get("reconnects"));
        assertEquals(20L, j.get("pages_resent"));
    }
}
