package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tern.common.json.JsonObjects;
import tern.lab.process.ChildProcess;

/**
 * bin/tern-sender with an embedded receiver on loopback, the mixed synthetic workload and
 * deterministic pacing, in every mode: a verified migration and a --stats file with every key.
 */
class LoopbackWorkloadIT extends ProcessTest {
    private static final int PAGE_SIZE = 4096;
    private static final long MEMORY = 32L << 20;

    static final List<String> ITERATION_KEYS = List.of("iteration", "phase", "pages_dirty", "pages_false_dirty",
            "pages_sent", "pages_skipped", "pages_zero", "xbzrle_hits", "xbzrle_misses", "xbzrle_overflows",
            "bytes_on_wire", "ack_bytes", "duration_ms", "dirty_rate");
    static final List<String> SUMMARY_KEYS = List.of("mode", "digest", "converged", "iterations", "total_ms",
            "downtime_ms", "verify_ms", "pages_total", "pages_sent", "pages_skipped", "pages_false_dirty", "pages_zero",
            "bytes_on_wire", "ack_bytes", "oracle_bytes", "root_digest");

    @ParameterizedTest(name = "--mode {0}, xbzrle {1}")
    @CsvSource({"sync-clear, false", "reconcile, false", "digest, false", "digest, true"})
    void mixedWorkloadMigratesVerifiedWithFullStats(String mode, boolean xbzrle) throws Exception {
        Path image = dir.resolve("image.ram");
        Path stats = dir.resolve("stats.jsonl");
        List<String> args = new ArrayList<>(List.of("--embedded-receiver", image.toString(), "--workload", "mixed",
                "--memory", "32MiB", "--pacing", "1/page", "--mode", mode, "--stats", stats.toString()));
        if (xbzrle) {
            args.add("--xbzrle");
        }
        ChildProcess sender = processes.run("sender", "tern-sender", args.toArray(String[]::new));
        int exit = sender.awaitExit();
        assertEquals(0, exit, "sender exit code\n" + sender.outputs());

        assertTrue(Files.exists(stats), "no --stats file\n" + sender.outputs());
        List<Map<String, Object>> lines = JsonObjects.readLines(stats);
        assertTrue(lines.size() >= 2, "iterations and a summary expected: " + lines);
        Map<String, Object> summary = lines.get(lines.size() - 1);
        List<Map<String, Object>> iterations = lines.subList(0, lines.size() - 1);

        assertEquals("summary", summary.get("type"), "last line: " + summary);
        for (String k : SUMMARY_KEYS) {
            assertTrue(summary.containsKey(k), "summary lacks \"" + k + "\": " + summary);
        }
        assertEquals(true, summary.get("verified"), "summary: " + summary + "\n" + sender.outputs());
        assertEquals(mode, summary.get("mode"), "summary: " + summary);
        assertEquals(xbzrle, summary.get("xbzrle"), "summary: " + summary);
        assertEquals("sha256", summary.get("digest"), "summary: " + summary);
        assertEquals(MEMORY / PAGE_SIZE, summary.get("pages_total"), "summary: " + summary);
        assertTrue(((String) summary.get("root_digest")).matches("[0-9a-f]{64}"), "summary: " + summary);
        assertEquals((long) iterations.size(), summary.get("iterations"), "one line per iteration: " + lines);

        for (int i = 0; i < iterations.size(); i++) {
            Map<String, Object> it = iterations.get(i);
            assertEquals("iteration", it.get("type"), "line " + (i + 1) + ": " + it);
            for (String k : ITERATION_KEYS) {
                assertTrue(it.containsKey(k), "iteration line " + (i + 1) + " lacks \"" + k + "\": " + it);
            }
            assertEquals(i + 1L, it.get("iteration"), "iterations are numbered from 1: " + it);
        }
        assertEquals("stop-and-copy", iterations.get(iterations.size() - 1).get("phase"), "last pass: " + iterations);

        // The summary's page counts are the sums of the iterations' (one code path counts each).
        assertEquals(sum(iterations, "pages_sent"), summary.get("pages_sent"), "pages_sent: " + lines);
        assertEquals(sum(iterations, "pages_skipped"), summary.get("pages_skipped"),
                "pages_skipped: " + lines);
        if (mode.equals("digest")) {
            assertTrue((Long) summary.get("pages_skipped") > 0,
                    "a mixed workload with silent stores gives digest mode pages to skip: " + summary);
        } else {
            assertEquals(0L, summary.get("pages_skipped"), mode + " skips nothing: " + summary);
        }
        assertEquals(MEMORY, Files.size(image), "embedded receiver's image size");
    }

    private static long sum(List<Map<String, Object>> iterations, String key) {
        return iterations.stream().mapToLong(m -> (Long) m.get(key)).sum();
    }
}
