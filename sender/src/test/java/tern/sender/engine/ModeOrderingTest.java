package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.stats.MigrationSummary;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/**
 * On a silent-heavy workload under deterministic pacing (the same stores for the same captures),
 * digest mode sends fewer pages than reconcile, which sends no more than sync-clear; and digest
 * mode sends no page whose bytes the receiver already held, as the receiver itself counts.
 */
class ModeOrderingTest {
    @TempDir
    Path dir;

    @Test
    void digestSendsLessThanReconcileWhichSendsNoMoreThanSyncClear() throws Exception {
        Map<Mode, Loopback.Run> runs = new EnumMap<>(Mode.class);
        for (Mode mode : Mode.values()) {
            try (Loopback rx = new Loopback(Files.createDirectories(dir.resolve(mode.cliName())));
                 SyntheticWorkload w = Configs.workload(WorkloadPattern.MIXED, 1024, 1, 0.8, 42)) {
                Loopback.Run run = rx.migrate(w, Configs.fixed(mode, false, 4), EngineListener.NONE);
                assertNull(run.failure(), () -> run.failure().getMessage());
                assertTrue(run.outcome().verified(), run.outcome().reason());
                assertArrayEquals(w.snapshot(), rx.imageBytes());
                runs.put(mode, run);
            }
        }
        long digest = runs.get(Mode.DIGEST).sent();
        long reconcile = runs.get(Mode.RECONCILE).sent();
        long syncClear = runs.get(Mode.SYNC_CLEAR).sent();
        assertTrue(digest < reconcile, "digest " + digest + " < reconcile " + reconcile);
        assertTrue(reconcile <= syncClear, "reconcile " + reconcile + " <= sync-clear " + syncClear);

        // Counted by the receiver from what it stored, independent of the sender's accounting.
        assertEquals(0, runs.get(Mode.DIGEST).outcome().pagesAlreadyHeld(), "digest mode sent a page the receiver held");
        assertTrue(runs.get(Mode.SYNC_CLEAR).outcome().pagesAlreadyHeld() > 0, "sync-clear resends held pages");
        MigrationSummary d = runs.get(Mode.DIGEST).result().summary();
        assertEquals(d.pagesSent() * d.pageSize(), (long) d.oracleBytes(), "digest mode's payload pages are the oracle's");
        // The sender's own count of pages sent the receiver already held agrees with the receiver's.
        MigrationSummary sc = runs.get(Mode.SYNC_CLEAR).result().summary();
        assertEquals(runs.get(Mode.SYNC_CLEAR).outcome().pagesAlreadyHeld(), sc.pagesSent() - sc.oracleBytes() / 4096);
    }
}
