package tern.sender.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tern.common.page.PageGeometry;
import tern.sender.workload.StoreStream;

/** The trace format: what the recorder writes reads back the same, replay keeps time, bad lines are named. */
class TraceTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"t.trace", "t.trace.gz"})
    void recordedStoresReadBackInOrder(String name) throws Exception {
        Path f = dir.resolve(name);
        try (TraceRecorder r = new TraceRecorder(f, new PageGeometry(4096, 100), "test")) {
            r.stored(0, 5, false);
            r.stored(1_500, 99, true);
            r.stored(1_999, 0, false);
            r.stored(7_000_000, 42, true);
        }
        Trace t = Trace.read(f);
        assertEquals(4096, t.pageSize());
        assertEquals(100, t.pages());
        assertArrayEquals(new long[] {0, 1, 1, 7000}, t.micros());
        assertArrayEquals(new int[] {5, 99, 0, 42}, t.page());
        assertTrue(t.changes().get(0));
        assertFalse(t.changes().get(1), "a silent store is recorded as 0");
        assertTrue(t.changes().get(2));
        assertFalse(t.changes().get(3));
    }

    @Test
    void replayIsDueAtTheRecordedTimesScaledBySpeed() throws Exception {
        Path f = dir.resolve("t.trace");
        Files.writeString(f, "tern-trace 1 page-size 4096 pages 8\n# comment\n\n0 1 1\n1000 2 0\n1000 3 1\n5000 4 1\n");
        TraceStream s = new TraceStream(Trace.read(f), 1);
        assertEquals(1, s.dueBy(0));
        assertEquals(1, s.dueBy(999_999));
        assertEquals(3, s.dueBy(1_000_000), "both stores at 1 ms are due at 1 ms");
        assertEquals(4, s.dueBy(60_000_000_000L));
        assertEquals(3, new TraceStream(Trace.read(f), 2).dueBy(500_000), "twice as fast");

        SplittableRandom rnd = new SplittableRandom(1);
        long v = s.next(rnd);
        assertEquals(1, StoreStream.page(v));
        assertFalse(StoreStream.silent(v));
        v = s.next(rnd);
        assertEquals(2, StoreStream.page(v));
        assertTrue(StoreStream.silent(v));
        s.next(rnd);
        s.next(rnd);
        assertEquals(StoreStream.END, s.next(rnd), "the trace ran out");
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
            "tern-trace 1 page-size 4096 pages 8\\n0 8 1|line 2: page 8 out of range for 8 pages",
            "tern-trace 1 page-size 4096 pages 8\\n10 1 1\\n9 1 1|line 3: time offset 9 is before the previous line's 10",
            "tern-trace 1 page-size 4096 pages 8\\n0 1 2|line 2: CHANGES must be 1 (bytes changed) or 0 (same bytes), got '2'",
            "tern-trace 1 page-size 4096 pages 8\\n0 1|line 2: expected 'MICROS PAGE CHANGES', got '0 1'",
            "tern-trace 1 page-size 4096 pages 8\\n-1 1 1|line 2: time offset '-1' is not a non-negative integer",
            "tern-trace 2 page-size 4096 pages 8|line 1: trace format version 2 is not supported (only 1)",
            "tern-trace 1 page-size 3000 pages 8|line 1: page size 3000 is not a power of two in 512..65536",
            "0 1 1|line 1: expected the header 'tern-trace 1 page-size SIZE pages COUNT', got '0 1 1'",
            "# only a comment|line 1: empty: no 'tern-trace 1 page-size SIZE pages COUNT' header"})
    void badLinesAreNamed(String content, String expected) throws Exception {
        Path f = dir.resolve("bad.trace");
        Files.writeString(f, content.replace("\\n", "\n") + "\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trace.read(f));
        assertEquals("trace " + f + " " + expected, e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path f = dir.resolve("none.trace");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trace.read(f));
        assertEquals("trace " + f + ": no such file", e.getMessage());
    }
}
