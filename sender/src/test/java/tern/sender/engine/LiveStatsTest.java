package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.json.JsonObjects;
import tern.common.testing.ResettingProxy;
import tern.receiver.session.ReceiverConfig;
import tern.sender.report.RunReports;
import tern.sender.transport.MigrationChannel;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/**
 * --stats as the migration goes (RunReports, StatsFile): a line per iteration as it ends, each
 * stamped with ts and migration_id; one summary however the run ends, its totals the sums of the
 * lines above it, the iteration a failure cut short included.
 */
class LiveStatsTest {
    private static final Pattern TS = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    /** Summary totals that are sums of the iteration key of the same name. */
    private static final List<String> SUMMED = List.of("pages_sent", "pages_skipped", "pages_zero", "xbzrle_hits",
            "ack_mismatches", "payload_bytes", "pages_resent");
    /** The link's own counts: the iterations' sum plus what fell outside every iteration. */
    private static final List<String> LINK = List.of("bytes_on_wire", "ack_bytes", "reconnects");

    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    private RunReports reports(Path stats, RunReports.Progress progress, PrintStream err) throws Exception {
        return RunReports.create(new PrintStream(stdout, true, StandardCharsets.UTF_8), err, false, progress, stats, "live-1");
    }

    @Test
    void eachIterationIsOnFileWhenTheNextBegins() throws Exception {
        Path stats = dir.resolve("stats.jsonl");
        List<Integer> linesAtPass = new ArrayList<>();
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1);
             RunReports reports = reports(stats, RunReports.Progress.NONE, System.err)) {
            EngineListener watching = new Forwarding(reports) {
                @Override
                public void beforePass(int iteration, String phase) {
                    try {
                        linesAtPass.add(JsonObjects.readLines(stats).size());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    super.beforePass(iteration, phase);
                }
            };
            MigrationResult r = migrate(rx, w, Configs.fixed(Mode.DIGEST, false, 3), watching, reports);
            reports.succeeded(r);
        }
        assertEquals(List.of(0, 1, 2, 3), linesAtPass, "iterations 1-3 and the stop-and-copy: the lines of all before");
        List<Map<String, Object>> lines = JsonObjects.readLines(stats);
        assertEquals(5, lines.size(), lines.toString());
        assertSummaryAddsUp(lines, true);
    }

    @Test
    void aFailureMidIterationCountsTheIterationItCutShort() throws Exception {
        Path stats = dir.resolve("stats.jsonl");
        try (Loopback rx = new Loopback(dir);
             ResettingProxy proxy = new ResettingProxy(rx.server.port());
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 1024, 1, 0, 1);
             RunReports reports = reports(stats, RunReports.Progress.NONE, System.err)) {
            EngineListener resetting = new Forwarding(reports) {
                int batches;

                @Override
                public void batchSent(int iteration, long sent, long skipped, long dirty, long wire) {
                    super.batchSent(iteration, sent, skipped, dirty, wire);
                    if (++batches == 10) {
                        proxy.resetAll(); // no resume: the migration fails in its bulk pass
                    }
                }
            };
            MigrationFailure f;
            try (MigrationChannel ch = MigrationChannel.connect(proxy.address(), ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
                PrecopyLoop loop = new PrecopyLoop(w, Configs.fixed(Mode.DIGEST, false, 3), ch, resetting);
                reports.follow(loop.progress());
                f = assertThrows(MigrationFailure.class, loop::run);
            }
            reports.failed(f);
        }
        List<Map<String, Object>> lines = JsonObjects.readLines(stats);
        assertEquals(2, lines.size(), "the bulk pass, cut short, and the summary: " + lines);
        assertEquals(false, lines.get(0).get("finished"), lines.toString());
        assertTrue((Long) lines.get(0).get("pages_sent") > 0, "pages went out before the reset: " + lines);
        assertSummaryAddsUp(lines, false);
    }

    @Test
    void anInterruptFromAnotherThreadEndsTheFileOnceWhileTheEngineRuns() throws Exception {
        Path stats = dir.resolve("stats.jsonl");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1);
             RunReports reports = reports(stats, RunReports.Progress.JSON, new PrintStream(err, true, StandardCharsets.UTF_8))) {
            EngineListener interrupting = new Forwarding(reports) {
                int batches;

                @Override
                public void batchSent(int iteration, long sent, long skipped, long dirty, long wire) {
                    super.batchSent(iteration, sent, skipped, dirty, wire);
                    if (iteration == 2 && ++batches == 2) {
                        Thread hook = new Thread(() -> reports.interrupted("SIGTERM"), "hook");
                        hook.start();
                        try {
                            hook.join();
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }
                }
            };
            MigrationResult r = migrate(rx, w, Configs.fixed(Mode.DIGEST, false, 3), interrupting, reports);
            reports.succeeded(r); // the engine ran on to its end: the run had ended already
            reports.interrupted("SIGINT");
        }
        List<Map<String, Object>> lines = JsonObjects.readLines(stats);
        assertEquals(3, lines.size(), "iteration 1, iteration 2 as of the interrupt, the summary: " + lines);
        assertEquals(2L, lines.get(1).get("iteration"));
        assertEquals(false, lines.get(1).get("finished"));
        assertEquals("SIGTERM", lines.get(2).get("error"));
        assertSummaryAddsUp(lines, false);

        List<Map<String, Object>> progress = new ArrayList<>();
        for (String l : err.toString(StandardCharsets.UTF_8).split("\n")) {
            progress.add(JsonObjects.parse(l));
        }
        Map<String, Object> last = progress.get(progress.size() - 1);
        assertEquals("cancelled", last.get("status"), progress.toString());
        assertEquals("live-1", last.get("migration_id"));
        assertEquals(2L, last.get("iteration"));
        for (String k : List.of("ts", "transferred", "remaining", "total", "dirty_pages_rate", "expected_downtime_ms",
                "mbps", "total_time_ms")) {
            assertTrue(last.containsKey(k), k + " in " + last);
        }
        assertEquals(256L * 4096, last.get("total"));
    }

    @Test
    void progressJsonEndsWithTheRunsStatus() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Loopback rx = new Loopback(dir);
             SyntheticWorkload w = Configs.workload(WorkloadPattern.UNIFORM, 256, 1, 0, 1);
             RunReports reports = reports(null, RunReports.Progress.JSON, new PrintStream(err, true, StandardCharsets.UTF_8))) {
            reports.succeeded(migrate(rx, w, Configs.fixed(Mode.DIGEST, false, 2), reports, reports));
        }
        String[] lines = err.toString(StandardCharsets.UTF_8).split("\n");
        assertTrue(lines.length >= 2, "a line at the start, one at the end: " + String.join("\n", lines));
        List<String> order = List.of("setup", "active", "device", "completed");
        int at = 0;
        for (String l : lines) {
            Map<String, Object> p = JsonObjects.parse(l);
            assertEquals("progress", p.get("type"));
            assertTrue(TS.matcher((String) p.get("ts")).matches(), l);
            int i = order.indexOf((String) p.get("status"));
            assertTrue(i >= at, "statuses only move on: " + String.join("\n", lines));
            at = i;
        }
        assertEquals("completed", JsonObjects.parse(lines[lines.length - 1]).get("status"));
    }

    private static MigrationResult migrate(Loopback rx, SyntheticWorkload w, EngineConfig cfg, EngineListener listener,
                                           RunReports reports) throws Exception {
        try (MigrationChannel ch = MigrationChannel.connect(
                java.net.InetSocketAddress.createUnresolved("127.0.0.1", rx.server.port()),
                ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES)) {
            PrecopyLoop loop = new PrecopyLoop(w, cfg, ch, listener);
            reports.follow(loop.progress());
            MigrationResult r = loop.run();
            assertTrue(rx.server.awaitOutcome().verified());
            return r;
        }
    }

    /** Every line stamped; the summary last; each of its totals the sum of the lines above it. */
    private static void assertSummaryAddsUp(List<Map<String, Object>> lines, boolean verified) {
        for (Map<String, Object> l : lines) {
            assertTrue(TS.matcher((String) l.get("ts")).matches(), "ts: " + l);
            assertEquals("live-1", l.get("migration_id"), l.toString());
        }
        Map<String, Object> summary = lines.get(lines.size() - 1);
        assertEquals("summary", summary.get("type"));
        assertEquals(verified, summary.get("verified"));
        assertEquals(verified, summary.get("error") == null, "an error exactly when not verified: " + summary);
        List<Map<String, Object>> its = lines.subList(0, lines.size() - 1);
        assertEquals((long) its.size(), summary.get("iterations"));
        for (String k : SUMMED) {
            assertEquals(sum(its, k), summary.get(k), k + ": " + lines);
        }
        for (String k : LINK) {
            long outside = (Long) summary.get(k + "_outside_iterations");
            assertTrue(outside >= 0, k + " outside iterations: " + summary);
            assertEquals(sum(its, k) + outside, summary.get(k), k + ": " + lines);
        }
        assertNotNull(summary.get("pages_false_dirty"));
        assertEquals(sum(its, "pages_false_dirty"), summary.get("pages_false_dirty"));
        assertFalse(its.stream().limit(its.size() - 1).anyMatch(i -> Boolean.FALSE.equals(i.get("finished"))),
                "only the last iteration may be unfinished: " + its);
    }

    private static long sum(List<Map<String, Object>> its, String key) {
        return its.stream().mapToLong(i -> (Long) i.get(key)).sum();
    }

    /** Passes every event on, so a test can act at one point. */
    private static class Forwarding extends ForwardingListener {
        private final EngineListener to;

        Forwarding(EngineListener to) {
            this.to = to;
        }

        @Override
        protected EngineListener next() {
            return to;
        }
    }
}
