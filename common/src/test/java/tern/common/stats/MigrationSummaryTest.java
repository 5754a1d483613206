package tern.common.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The summary is derived from the iterations: its totals are their sums, and what they did not measure stays unknown. */
class MigrationSummaryTest {
    static IterationStats iteration(int k, Long falseDirty) {
        return IterationStats.builder().iteration(k).phase("iterative").pagesDirty(100L * k)
                .pagesFalseDirty(falseDirty).pagesSent(10L * k).pagesSkipped(k).pagesZero(2L * k).xbzrleHits(3L * k)
                .payloadBytes(4096L * k).oraclePages(5L * k).ackMismatches(k).pagesResent(7L * k).reconnects(k)
                .bytesOnWire(999).build();
    }

    static MigrationSummary.Facts facts(boolean hashed) {
        return MigrationSummary.facts().mode("digest").digest("sha256").source("test").pageSize(4096).pagesTotal(1000)
                .pagesHashed(hashed).bytesOnWire(123_456).ackBytes(789).reconnects(7).resyncPages(4).verified(true);
    }

    @Test
    void totalsAreTheSumsOfTheIterations() {
        List<IterationStats> its = List.of(iteration(1, 6L), iteration(2, 0L), iteration(3, 9L));
        MigrationSummary s = MigrationSummary.of(its, facts(true));
        assertEquals(3, s.iterations());
        assertEquals(its.stream().mapToLong(IterationStats::pagesSent).sum(), s.pagesSent());
        assertEquals(its.stream().mapToLong(IterationStats::pagesSkipped).sum(), s.pagesSkipped());
        assertEquals(its.stream().mapToLong(IterationStats::pagesZero).sum(), s.pagesZero());
        assertEquals(its.stream().mapToLong(IterationStats::xbzrleHits).sum(), s.xbzrleHits());
        assertEquals(its.stream().mapToLong(IterationStats::ackMismatches).sum(), s.ackMismatches());
        assertEquals(its.stream().mapToLong(IterationStats::payloadBytes).sum(), s.payloadBytes());
        assertEquals(its.stream().mapToLong(IterationStats::pagesResent).sum(), s.pagesResent());
        assertEquals(15L, s.pagesFalseDirty());
        assertEquals(its.stream().mapToLong(IterationStats::oraclePages).sum() * 4096, (long) s.oracleBytes());
        // the link's own counts, and what of them fell outside every iteration (hello, completion, verdict)
        assertEquals(123_456, s.bytesOnWire());
        assertEquals(123_456 - 3 * 999, s.bytesOnWireOutsideIterations());
        assertEquals(789, s.ackBytes());
        assertEquals(789, s.ackBytesOutsideIterations());
        assertEquals(7, s.reconnects());
        assertEquals(7 - (1 + 2 + 3), s.reconnectsOutsideIterations());
        assertEquals(4, s.resyncPages());
    }

    @Test
    void unknownFalseDirtyStaysUnknown() {
        MigrationSummary notHashed = MigrationSummary.of(List.of(iteration(1, null), iteration(2, null)), facts(false));
        assertNull(notHashed.pagesFalseDirty(), "--audit off: not counted, so not 0");
        assertNull(notHashed.oracleBytes(), "the oracle needs the digests too");
        assertNull(MigrationSummary.of(List.of(), facts(false)).pagesFalseDirty(), "unknown before any iteration ended");
        assertEquals(0L, MigrationSummary.of(List.of(), facts(true)).pagesFalseDirty(), "counted, none yet");
        MigrationSummary partly = MigrationSummary.of(List.of(iteration(1, 6L), iteration(2, null)), facts(true));
        assertNull(partly.pagesFalseDirty(), "one iteration unknown makes the total unknown");
    }

    @Test
    void nothingMeasuredIsUnknownInTheJson() {
        Json j = MigrationSummary.of(List.of(), facts(false)).toJson();
        assertNull(j.get("downtime_ms"));
        assertNull(j.get("pages_already_held"));
        assertNull(j.get("root_digest"));
        assertEquals(false, j.get("converged"));
    }
}
