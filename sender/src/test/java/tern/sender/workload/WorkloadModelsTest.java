package tern.sender.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The models' visits stay in their regions, sweeps go in order, and --workload names resolve or are refused. */
class WorkloadModelsTest {
    @Test
    void visitsLandInsideTheMemoryWithTheirRegionsLines() {
        int pages = 2048;
        for (WorkloadModel m : WorkloadModels.ALL) {
            StoreStream s = m.stream(pages, 0);
            SplittableRandom rnd = new SplittableRandom(3);
            for (int i = 0; i < 50_000; i++) {
                long v = s.next(rnd);
                assertTrue(StoreStream.page(v) >= 0 && StoreStream.page(v) < pages, m.name());
                int lines = StoreStream.lines(v);
                assertTrue(m.phases().stream().flatMap(p -> p.regions().stream()).anyMatch(r -> r.lines() == lines),
                        m.name() + " lines " + lines);
            }
        }
    }

    @Test
    void kernelCompileFirstFillsFreeMemoryInOrderWithNewBytes() {
        WorkloadModel m = WorkloadModels.byName("kernel-compile").orElseThrow();
        StoreStream s = m.stream(1000, 0);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 500; i++) {
            long v = s.next(rnd);
            assertEquals(500 + i, StoreStream.page(v), "visit " + i);
            assertFalse(StoreStream.silent(v));
        }
    }

    @Test
    void silentVisitsFollowTheRegionsSameValueProbability() {
        WorkloadModel m = WorkloadModels.byName("mcf").orElseThrow();
        StoreStream s = m.stream(4096, 0);
        SplittableRandom rnd = new SplittableRandom(5);
        int silent = 0;
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            silent += StoreStream.silent(s.next(rnd)) ? 1 : 0;
        }
        double expected = 0.85 * 0.92 + 0.15 * 0.2;
        assertEquals(expected, silent / (double) n, 0.01);
    }

    @Test
    void settledPagesAreNeverChangedAndSpreadOverTheirShare() {
        WorkloadModel m = WorkloadModels.byName("bzip2").orElseThrow();
        int pages = 4096;
        int arrayPages = pages / 2; // the block arrays: the first half, swept
        StoreStream s = m.stream(pages, 0);
        SplittableRandom rnd = new SplittableRandom(2);
        boolean[] changed = new boolean[pages];
        for (int i = 0; i < 40 * arrayPages; i++) { // about 30 passes over the array
            long v = s.next(rnd);
            changed[StoreStream.page(v)] |= !StoreStream.silent(v);
        }
        int never = 0;
        for (int p = 0; p < arrayPages; p++) {
            never += changed[p] ? 0 : 1;
        }
        // settled 0.5; an unsettled page survives 30 visits at 0.1 with probability 1e-30
        assertEquals(0.5, never / (double) arrayPages, 0.03);
        int firstHalf = 0;
        for (int p = 0; p < arrayPages / 2; p++) {
            firstHalf += changed[p] ? 0 : 1;
        }
        assertEquals(0.5, firstHalf / (arrayPages / 2.0), 0.05, "spread evenly, not bunched");
    }

    @Test
    void workloadNamesResolveOrAreRefusedWithTheKnownOnes() throws Exception {
        Workloads base = new Workloads("memcached", null, 4096, new Pacing(false, 1), null, 0.5, null, 1, 1);
        try (var w = base.open()) {
            assertEquals(64L << 20, w.geometry().bytes(), "the model's default memory");
            assertTrue(w.describe().startsWith("workload memcached ("), w.describe());
        }
        Workloads bad = new Workloads("memcache", null, 4096, new Pacing(false, 1), null, 0.5, null, 1, 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::open);
        assertTrue(e.getMessage().startsWith("--workload: unknown workload 'memcache'; known: idle, uniform,"), e.getMessage());
        assertTrue(e.getMessage().contains("mcf") && e.getMessage().endsWith("trace:FILE"), e.getMessage());
    }
}
