package tern.lab.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.stats.IterationStats;

/**
 * Exact false-dirty counts on a small hand-made trace, replayed one store after each captured
 * page. 64 pages; the bulk pass captures them in order, and after capturing page i the trace
 * stores, by i mod 4:
 * <ul>
 * <li>0: page i, same bytes (after its capture: false dirty, a silent store, in every mode)</li>
 * <li>1: page i, new bytes (truly dirty)</li>
 * <li>2: page i+1, new bytes, before that page is read (sync-clear: false dirty, dirtied before
 *     read; reconcile and digest clear its log bit when they read it: not dirty)</li>
 * <li>3: page i-1, same bytes (a silent store after capture, as for 0)</li>
 * </ul>
 * The trace then ends, so iteration 2 (the stop-and-copy) has the dirty pages of the bulk pass:
 * sync-clear 64 dirty, 48 false dirty (32 silent, 16 before read); reconcile and digest 48 dirty,
 * 32 false dirty, all silent; digest sends only the 16 pages that changed.
 */
class TraceFalseDirtyTest {
    @TempDir
    Path dir;

    @Test
    void handMadeTraceGivesTheExactCountsInEveryMode() throws Exception {
        StringBuilder t = new StringBuilder("tern-trace 1 page-size 4096 pages 64\n");
        for (int i = 0; i < 64; i++) {
            String rec = switch (i % 4) {
                case 0 -> i + " 0";
                case 1 -> i + " 1";
                case 2 -> (i + 1) + " 1";
                default -> (i - 1) + " 0";
            };
            t.append(i).append(' ').append(rec).append('\n');
        }
        Path trace = Files.writeString(dir.resolve("hand.trace"), t);
        List<TrialRun> runs = new TrialRunner(Trials.fixed("trace:" + trace, null, 1, 1, dir.resolve("out"),
                "sync-clear,reconcile,digest"), null).run();

        expect(Trials.byLabel(runs, "sync-clear"), 64, 48, 16, 32, 64, 0);
        expect(Trials.byLabel(runs, "reconcile"), 48, 32, 0, 32, 48, 0);
        expect(Trials.byLabel(runs, "digest"), 48, 32, 0, 32, 16, 32);
    }

    private static void expect(TrialRun r, long dirty, long falseDirty, long beforeRead, long silent, long sent,
                               long skipped) {
        String m = r.variant().label();
        assertNull(r.error(), m);
        assertEquals(2, r.iterations().size(), m + ": the bulk pass and a stop-and-copy");
        IterationStats s = r.iteration(2);
        assertEquals(dirty, s.pagesDirty(), m + " dirty");
        assertEquals(falseDirty, s.pagesFalseDirty(), m + " false dirty");
        assertEquals(beforeRead, s.falseDirtyBeforeRead(), m + " dirtied before read");
        assertEquals(silent, s.falseDirtySilent(), m + " silent stores");
        assertEquals(sent, s.pagesSent(), m + " sent");
        assertEquals(skipped, s.pagesSkipped(), m + " skipped");
        assertEquals(dirty - falseDirty, s.oraclePages(), m + " oracle: the pages that changed");
    }
}
