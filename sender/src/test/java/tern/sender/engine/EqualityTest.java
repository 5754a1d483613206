package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tern.common.digest.DigestKind;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/** Invariant 1: a completed migration leaves the image byte-for-byte the source at its pause. */
class EqualityTest {
    @TempDir
    Path dir;

    static Stream<Arguments> setups() {
        List<Arguments> a = new ArrayList<>();
        for (Mode m : Mode.values()) {
            for (boolean x : new boolean[] {false, true}) {
                for (WorkloadPattern w : new WorkloadPattern[] {WorkloadPattern.MIXED, WorkloadPattern.HOTSET}) {
                    a.add(Arguments.of(m, x, w, DigestKind.SHA256));
                }
            }
        }
        for (DigestKind d : DigestKind.values()) {
            a.add(Arguments.of(Mode.DIGEST, true, WorkloadPattern.MIXED, d));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} xbzrle={1} {2} {3}")
    @MethodSource("setups")
    void imageEqualsSourceAtPause(Mode mode, boolean xbzrle, WorkloadPattern pattern, DigestKind digest) throws Exception {
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(pattern, 512, 1.5, 0.5, 7)) {
            Loopback.Run run = rx.migrate(w, Configs.fixed(mode, xbzrle, 4, digest), EngineListener.NONE);
            assertNull(run.failure(), () -> "migration failed: " + run.failure().getMessage());
            assertTrue(run.outcome().verified(), run.outcome().reason());
            assertTrue(w.paused(), "the source stays paused after success by default");
            assertArrayEquals(w.snapshot(), rx.imageBytes(), "image differs from the paused source");
            assertEquals(run.result().summary().rootDigest(), run.outcome().rootDigest());
            assertTrue(w.stores() > 0, "the workload stored during the migration");
            if (xbzrle && mode != Mode.DIGEST) {
                assertTrue(run.result().summary().xbzrleHits() > 0, "XBZRLE was exercised");
            }
        }
    }
}
