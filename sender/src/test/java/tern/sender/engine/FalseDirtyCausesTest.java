package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.digest.DigestKind;
import tern.common.stats.IterationStats;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/**
 * The two causes of false dirty pages, as the workload tells them apart (docs/design.md): sync-clear
 * resends pages written after its sync but before they were read; reconcile never does, so on a
 * workload whose every store changes bytes it has no false dirty page at all; silent stores make
 * false dirty pages in every mode.
 */
class FalseDirtyCausesTest {
    @TempDir
    Path dir;

    private List<IterationStats> run(Mode mode, WorkloadPattern pattern, boolean audit) throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(pattern, 1024, 1, 0, 9)) {
            Loopback.Run r = rx.migrate(w, Configs.fixed(mode, false, 4).toBuilder().digest(DigestKind.SHA256).audit(audit).build(),
                    EngineListener.NONE);
            assertNull(r.failure(), () -> r.failure().getMessage());
            assertTrue(r.outcome().verified(), r.outcome().reason());
            return r.result().iterations();
        }
    }

    private static List<IterationStats> afterBulk(List<IterationStats> all) {
        return all.subList(1, all.size());
    }

    @Test
    void syncClearResendsPagesDirtiedBeforeTheyWereRead() throws Exception {
        long beforeRead = 0;
        for (IterationStats s : afterBulk(run(Mode.SYNC_CLEAR, WorkloadPattern.UNIFORM, true))) {
            assertEquals(0L, s.falseDirtySilent(), "no silent store in a uniform workload");
            assertEquals(s.pagesFalseDirty(), s.falseDirtyBeforeRead());
            beforeRead += s.falseDirtyBeforeRead();
        }
        assertTrue(beforeRead > 0, "sync-clear had false dirty pages dirtied before they were read");
    }

    @Test
    void reconcileHasNoFalseDirtyPageWithoutSilentStores() throws Exception {
        for (IterationStats s : afterBulk(run(Mode.RECONCILE, WorkloadPattern.UNIFORM, true))) {
            assertEquals(0L, s.pagesFalseDirty(), "iteration " + s.iteration());
            assertTrue(s.pagesDirty() > 0, "iteration " + s.iteration() + " had work");
        }
    }

    @Test
    void silentStoresAreFalseDirtyInEveryModeAndSkippedOnlyInDigest() throws Exception {
        for (Mode mode : Mode.values()) {
            long falseDirty = 0;
            for (IterationStats s : afterBulk(run(mode, WorkloadPattern.SILENT, true))) {
                // In sync-clear a silent store between the sync and the read is the first cause.
                assertEquals(s.pagesFalseDirty(), s.falseDirtySilent() + s.falseDirtyBeforeRead(), mode + " " + s.iteration());
                if (mode != Mode.SYNC_CLEAR) {
                    assertEquals(s.pagesFalseDirty(), s.falseDirtySilent(), mode + " iteration " + s.iteration());
                }
                assertEquals(mode == Mode.DIGEST ? s.pagesFalseDirty() : 0L, s.pagesSkipped(), mode.cliName());
                falseDirty += s.pagesFalseDirty();
            }
            assertTrue(falseDirty > 0, mode + " counted the silent stores' pages");
        }
    }

    @Test
    void auditOffReportsFalseDirtyAsUnknown() throws Exception {
        for (IterationStats s : run(Mode.SYNC_CLEAR, WorkloadPattern.SILENT, false)) {
            assertNull(s.pagesFalseDirty(), "not measured, so unknown");
            assertNull(s.falseDirtySilent());
            assertEquals(0, s.oraclePages(), "no hashing, no oracle count");
        }
    }
}
