package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tern.common.digest.DigestKind;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.common.testing.ResettingProxy;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.session.ReceiverConfig;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;
import tern.sender.transport.MigrationChannel;

/**
 * Resume over real TCP: a proxy between sender and receiver resets every connection (RST both
 * ways, bytes in flight lost) at fixed points of the migration, N times. The migration reconnects
 * exactly N times, resends at most what was in flight each time, and ends byte-identical.
 * Resets are triggered from the engine's own batch callback, so where they land is a function of
 * the deterministic workload, not of sleeps.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResumeTest {
    static final int BATCH = 16;
    static final int WINDOW = 8;

    @TempDir
    Path dir;

    /** audit=false in reconcile/sync-clear: no sent digests, so the table is compared with the source's bytes. */
    @ParameterizedTest(name = "{0} xbzrle={1}, {2} resets, audit={3}")
    @CsvSource({"DIGEST, false, 3, true", "DIGEST, true, 4, true", "RECONCILE, true, 3, true", "SYNC_CLEAR, false, 3, true",
            "RECONCILE, true, 3, false"})
    void survivesResetsByteIdentical(Mode mode, boolean xbzrle, int resets, boolean audit) throws Exception {
        try (Loopback rx = new Loopback(dir);
             ResettingProxy proxy = new ResettingProxy(rx.server.port());
             SyntheticWorkload w = Configs.workload(WorkloadPattern.MIXED, 2048, 1.0, 0.5, 11)) {
            EngineConfig cfg = Configs.fixed(mode, xbzrle, 4).toBuilder().batchPages(BATCH).window(WINDOW)
                    .digest(DigestKind.SHA256).audit(audit).build();
            Resetter resetter = new Resetter(proxy, resets, 25);
            MigrationResult r;
            try (MigrationChannel ch = MigrationChannel.connect(proxy.address(), ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
                r = new PrecopyLoop(w, cfg, ch, resetter, Duration.ofSeconds(30)).run();
            }
            MigrationOutcome o = rx.server.awaitOutcome();
            assertTrue(o.verified(), o::reason);
            MigrationSummary s = r.summary();
            assertEquals(resets, proxy.resets(), "resets made");
            assertEquals(resets, s.reconnects(), "one reconnect per reset: " + s);
            assertEquals(resets, r.iterations().stream().mapToInt(IterationStats::reconnects).sum(), "per-iteration reconnects");
            // at a reset, at most the window's batches and the one being handed over were in flight
            long bound = (long) resets * (WINDOW + 1) * BATCH;
            assertTrue(s.pagesResent() <= bound, "resent " + s.pagesResent() + " > " + bound);
            assertEquals(s.pagesResent(), resetter.lacking, "resent pages are those the resumes found missing");
            assertArrayEquals(w.snapshot(), rx.imageBytes(), "image differs from the paused source");
            assertEquals(s.rootDigest(), o.rootDigest());
        }
    }

    /**
     * A reset once the stop-and-copy pass is acknowledged, while the completion goes out: the
     * completion exchange starts over on the new stream (ResumingLink.repeatOnResume) and the
     * receiver still verifies the image.
     */
    @Test
    void resumesDuringCompletion() throws Exception {
        try (Loopback rx = new Loopback(dir);
             ResettingProxy proxy = new ResettingProxy(rx.server.port());
             SyntheticWorkload w = Configs.workload(WorkloadPattern.MIXED, 1024, 1.0, 0.5, 5)) {
            Resetter resetter = new Resetter(proxy, 1, Integer.MAX_VALUE) {
                @Override
                public void iterationDone(IterationStats s) {
                    if (s.phase().equals("stop-and-copy")) {
                        proxy.resetAll();
                    }
                }
            };
            EngineConfig cfg = Configs.fixed(Mode.DIGEST, true, 3).toBuilder().batchPages(BATCH).window(WINDOW).build();
            MigrationResult r;
            try (MigrationChannel ch = MigrationChannel.connect(proxy.address(), ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
                r = new PrecopyLoop(w, cfg, ch, resetter, Duration.ofSeconds(30)).run();
            }
            MigrationOutcome o = rx.server.awaitOutcome();
            assertTrue(o.verified(), o::reason);
            assertEquals(1, r.summary().reconnects(), "the one reset, after the last iteration");
            assertEquals(0, resetter.lacking, "every stop-and-copy batch was acknowledged before the reset");
            assertEquals(0, r.iterations().stream().mapToInt(IterationStats::reconnects).sum(), "in no iteration");
            assertArrayEquals(w.snapshot(), rx.imageBytes(), "image differs from the paused source");
        }
    }

    @Test
    void givesUpAfterTheResumeTimeoutAndLeavesTheSourceRunning() throws Exception {
        try (Loopback rx = new Loopback(dir);
             ResettingProxy proxy = new ResettingProxy(rx.server.port());
             SyntheticWorkload w = Configs.workload(WorkloadPattern.MIXED, 1024, 1.0, 0.5, 3)) {
            EngineListener unreachable = new EngineListener() {
                int batches;

                @Override
                public void batchSent(int iteration, long pagesSent, long pagesSkipped, long pagesDirty, long wireBytes) {
                    if (++batches == 10) {
                        proxy.refuseFromNow();
                        proxy.resetAll();
                    }
                }
            };
            MigrationFailure f;
            EngineConfig cfg = Configs.fixed(Mode.DIGEST, false, 3).toBuilder().batchPages(BATCH).window(WINDOW).build();
            try (MigrationChannel ch = MigrationChannel.connect(proxy.address(), ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
                f = assertThrows(MigrationFailure.class,
                        () -> new PrecopyLoop(w, cfg, ch, unreachable, Duration.ofSeconds(1)).run());
            }
            assertTrue(f.getMessage().contains("could not resume within --resume-timeout 1s"), f.getMessage());
            assertFalse(w.paused(), "the source keeps running");
            assertEquals(0, f.partial().summary().reconnects());
        }
    }

    /** Resets the proxy's connections {@code every} batches after the start or the last resume. */
    static class Resetter implements EngineListener {
        final ResettingProxy proxy;
        final int resets;
        final int every;
        int sinceResume;
        long lacking;

        Resetter(ResettingProxy proxy, int resets, int every) {
            this.proxy = proxy;
            this.resets = resets;
            this.every = every;
        }

        @Override
        public void batchSent(int iteration, long pagesSent, long pagesSkipped, long pagesDirty, long wireBytes) {
            if (++sinceResume == every && proxy.resets() < resets) {
                proxy.resetAll();
            }
        }

        @Override
        public void resumed(int reconnects, long pages) {
            sinceResume = 0;
            lacking += pages;
        }
    }
}
