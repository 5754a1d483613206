package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import tern.common.page.PageGeometry;
import tern.sender.workload.Pacing;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/**
 * Invariant 2: a write that lands after a page was captured is sent again before completion, in
 * every mode, at any bandwidth. Under deterministic pacing a {@link ChasingWriter} stores into
 * pages right after their capture, while their batch is being filled or in flight.
 */
class NoLostWriteTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Mode.class)
    void writesBetweenCaptureAndAckAreResent(Mode mode) throws Exception {
        for (int window : new int[] {1, 8}) {
            for (long bandwidth : new long[] {0, 2L << 20}) {
                try (Loopback rx = new Loopback(Files.createDirectories(dir.resolve(window + "-" + bandwidth)));
                     SyntheticWorkload w = Configs.workload(WorkloadPattern.HOTSET, 256, 3, 0, 11)) {
                    EngineConfig cfg = Configs.fixed(mode, false, 3).toBuilder().batchPages(8).window(window)
                            .bandwidthBytesPerSecond(bandwidth).build();
                    Loopback.Run run = rx.migrate(new ChasingWriter(w), cfg, EngineListener.NONE);
                    assertNull(run.failure(), () -> "window " + window + ": " + run.failure().getMessage());
                    assertTrue(run.outcome().verified(), run.outcome().reason());
                    assertArrayEquals(w.snapshot(), rx.imageBytes(), "a write was lost (window " + window
                            + ", bandwidth " + bandwidth + ")");
                }
            }
        }
    }

    /** A real writer thread racing the sender: stores land at any point relative to capture. */
    @ParameterizedTest
    @EnumSource(Mode.class)
    void concurrentWriterLosesNothing(Mode mode) throws Exception {
        PageGeometry g = new PageGeometry(4096, 2048);
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = new SyntheticWorkload(WorkloadPattern.MIXED, g, new Pacing(true, 0), 200_000, 0.3, 0.25, 5)
                     .start()) {
            EngineConfig cfg = EngineConfig.builder().mode(mode).xbzrle(mode == Mode.DIGEST)
                    .maxIterations(5).downtimeLimit(Duration.ofMillis(5)).batchPages(16).window(4).build();
            Loopback.Run run = rx.migrate(w, cfg, EngineListener.NONE);
            assertNull(run.failure(), () -> run.failure().getMessage());
            assertTrue(run.outcome().verified(), run.outcome().reason());
            assertTrue(w.stores() > 1000, "the writer raced the sender (" + w.stores() + " stores)");
            assertArrayEquals(w.snapshot(), rx.imageBytes(), "a concurrent write was lost");
        }
    }
}
