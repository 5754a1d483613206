package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import tern.common.stats.IterationStats;
import tern.sender.engine.EngineListener;
import tern.sender.transport.WireMeter;

/** The stream path's iterations are QEMU's passes, one each, numbered as QEMU numbers its dirty-log syncs. */
class PassFiguresTest {
    private long dropped;

    private PassFigures figures() {
        PassFigures f = new PassFigures(new WireMeter(), () -> 0, () -> dropped, EngineListener.NONE);
        f.start();
        return f;
    }

    @Test
    void recordsCountInThePassAnnouncedBeforeThemAndHeldOnesAreSkipped() {
        PassFigures f = figures();
        f.seen();
        f.forwardedPage();
        f.seen();
        f.forwardedZero();
        f.announce(2, 100.0);
        f.seen();
        dropped++;
        f.paused();
        f.seen();
        f.forwardedPage();
        f.finish();
        List<IterationStats> p = f.iterations();
        assertEquals(List.of(1, 2, 3), p.stream().map(IterationStats::iteration).toList());
        assertEquals(List.of("bulk", "iterative", "stop-and-copy"), p.stream().map(IterationStats::phase).toList());
        assertEquals(2, p.get(0).pagesDirty());
        assertEquals(1, p.get(0).pagesZero());
        assertEquals(1, p.get(1).pagesSkipped());
        assertEquals(1L, p.get(1).pagesFalseDirty(), "a held page QEMU resent is false dirty");
        assertEquals(100.0, p.get(1).dirtyRate());
        assertEquals(1, p.get(2).pagesSent());
    }

    @Test
    void passesQemuBeganBetweenTwoRecordsAreThereEmpty() {
        PassFigures f = figures();
        f.seen();
        f.announce(4, null);
        f.seen();
        f.finish();
        assertEquals(List.of(1, 2, 3, 4), f.iterations().stream().map(IterationStats::iteration).toList());
        assertEquals(0, f.iterations().get(1).pagesDirty());
    }

    @Test
    void theStopAndCopyPassIsQemusFinalSync() {
        PassFigures f = figures();
        f.seen();
        f.paused();
        f.finish();
        List<IterationStats> p = PassFigures.numbered(f.iterations(), 4L);
        assertEquals(List.of(1, 2, 3, 4), p.stream().map(IterationStats::iteration).toList());
        assertEquals("stop-and-copy", p.get(3).phase());
        assertEquals(f.iterations(), PassFigures.numbered(f.iterations(), null), "unknown: as the relay saw them");
    }
}
