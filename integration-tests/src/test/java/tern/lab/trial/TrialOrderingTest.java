package tern.lab.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.stats.MigrationSummary;

/**
 * A short trial of the memcached model under deterministic pacing (the same stores after the
 * same captures in every run, so nothing depends on timing): the modes order as they must, digest
 * sends the oracle's pages, and the tables, CSV, JSON and chart are written and readable.
 */
class TrialOrderingTest {
    @TempDir
    static Path dir;
    static List<TrialRun> runs;
    static TrialSettings settings;
    static String printed;

    @BeforeAll
    static void runTrial() throws Exception {
        settings = Trials.fixed("memcached", 8L << 20, 1, 4, dir.resolve("out"), TrialVariant.DEFAULT_RUNS);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        runs = new TrialRunner(settings, ps).run();
        TrialTables.summary(ps, runs);
        TrialFiles.write(settings.out(), runs, settings);
        TrialChart.write(settings.out().resolve("trial.png"), "memcached", runs);
        printed = buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyRunIsVerifiedAndHasTheSamePasses() {
        assertEquals(5, runs.size());
        for (TrialRun r : runs) {
            assertNull(r.error(), r.variant().label());
            assertTrue(r.summary().verified());
            assertEquals(5, r.summary().iterations(), r.variant().label() + ": 4 passes and the stop-and-copy");
        }
    }

    @Test
    void digestSendsNoMoreThanReconcileWhichSendsNoMoreThanSyncClear() {
        long digest = Trials.byLabel(runs, "digest").summary().bytesOnWire();
        long reconcile = Trials.byLabel(runs, "reconcile").summary().bytesOnWire();
        long syncClear = Trials.byLabel(runs, "sync-clear").summary().bytesOnWire();
        assertTrue(digest <= reconcile, "digest " + digest + " <= reconcile " + reconcile);
        assertTrue(reconcile <= syncClear, "reconcile " + reconcile + " <= sync-clear " + syncClear);
        long digestX = Trials.byLabel(runs, "digest+xbzrle").summary().bytesOnWire();
        long syncClearX = Trials.byLabel(runs, "sync-clear+xbzrle").summary().bytesOnWire();
        assertTrue(digestX <= syncClearX, "digest+xbzrle " + digestX + " <= sync-clear+xbzrle " + syncClearX);
        // The model has silent stores: digest mode must actually skip pages, not tie.
        assertTrue(Trials.byLabel(runs, "digest").summary().pagesSkipped() > 0);
        assertTrue(digest < syncClear);
    }

    @Test
    void digestPayloadIsWithinOnePercentOfTheOracle() {
        MigrationSummary d = Trials.byLabel(runs, "digest").summary();
        long oracle = d.oracleBytes();
        assertTrue(oracle > 0);
        assertTrue(Math.abs(d.payloadBytes() - oracle) <= oracle / 100,
                "digest payload " + d.payloadBytes() + " vs oracle " + oracle);
        MigrationSummary s = Trials.byLabel(runs, "sync-clear").summary();
        assertTrue(s.payloadBytes() > s.oracleBytes() * 1.01, "sync-clear resends pages that did not change");
    }

    @Test
    void bothTablesArePrinted() {
        for (TrialRun r : runs) {
            assertTrue(printed.contains(r.variant().label() + ": "), "iteration table of " + r.variant().label());
        }
        assertTrue(printed.contains(" b-read ") && printed.contains(" xbz-mis "), printed);
        assertTrue(printed.matches("(?s).*\\n {18}( +sync-clear)( +reconcile)( +digest)( +sync-clear\\+xbzrle)( +digest\\+xbzrle)\\n.*"),
                "summary header with one column per run:\n" + printed);
        assertTrue(printed.contains("wire / oracle"), printed);
    }

    @Test
    void summaryJsonIsAListWithOneObjectPerRun() throws Exception {
        String json = Files.readString(settings.out().resolve("summary.json")).strip();
        assertTrue(json.startsWith("[") && json.endsWith("]"), json);
        List<String> objects = json.substring(1, json.length() - 1).strip().lines()
                .map(l -> l.endsWith(",") ? l.substring(0, l.length() - 1) : l).toList();
        assertEquals(runs.size(), objects.size(), json);
        for (int i = 0; i < runs.size(); i++) {
            String o = objects.get(i);
            MigrationSummary s = runs.get(i).summary();
            assertTrue(o.startsWith("{") && o.endsWith("}"), o);
            for (String key : List.of("mode", "converged", "iterations", "total_ms", "downtime_ms", "pages_sent",
                    "pages_false_dirty", "bytes_on_wire", "xbzrle", "oracle_bytes", "run")) {
                assertTrue(o.contains("\"" + key + "\":"), key + " in " + o);
            }
            assertTrue(o.contains("\"mode\":\"" + s.mode() + "\""), o);
            assertTrue(o.contains("\"xbzrle\":" + s.xbzrle() + ","), o);
            assertTrue(o.contains("\"bytes_on_wire\":" + s.bytesOnWire() + ","), o);
            assertTrue(o.contains("\"oracle_bytes\":" + s.oracleBytes() + ","), o);
        }
    }

    @Test
    void csvHasAHeaderAndARowPerRunAndIteration() throws Exception {
        List<String> summary = Files.readAllLines(settings.out().resolve("summary.csv"));
        assertEquals(1 + runs.size(), summary.size());
        assertTrue(summary.get(0).startsWith("run,mode,xbzrle,"), summary.get(0));
        assertTrue(summary.get(3).startsWith("digest,digest,false,"), summary.get(3));
        List<String> iterations = Files.readAllLines(settings.out().resolve("iterations.csv"));
        assertEquals(1 + runs.stream().mapToInt(r -> r.iterations().size()).sum(), iterations.size());
        assertTrue(Files.readString(settings.out().resolve("iterations.json")).contains("\"run\":\"digest+xbzrle\""));
    }

    @Test
    void chartDecodesAsAnImage() throws Exception {
        BufferedImage img = ImageIO.read(settings.out().resolve("trial.png").toFile());
        assertNotNull(img, "trial.png is not an image ImageIO can read");
        assertTrue(img.getWidth() >= 900 && img.getHeight() >= 600, img.getWidth() + "x" + img.getHeight());
        // Not blank: the bars use the runs' colours.
        int sync = 0xC0392B;
        boolean found = false;
        for (int y = 0; y < img.getHeight() && !found; y += 2) {
            for (int x = 0; x < img.getWidth() && !found; x += 2) {
                found = (img.getRGB(x, y) & 0xFFFFFF) == sync;
            }
        }
        assertTrue(found, "no sync-clear bar drawn");
    }
}
