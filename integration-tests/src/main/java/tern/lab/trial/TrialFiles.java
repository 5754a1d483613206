package tern.lab.trial;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tern.common.stats.IterationStats;
import tern.common.stats.Json;

/**
 * The trial's figures as files: {@code summary.json} (a list, one object per run: the core's
 * summary fields plus the run's label and the trial's settings), {@code iterations.json},
 * and the same as {@code summary.csv} and {@code iterations.csv}.
 */
public final class TrialFiles {
    static final List<String> ITERATION_KEYS = List.of("iteration", "phase", "pages_dirty", "pages_false_dirty",
            "false_dirty_share", "false_dirty_before_read", "false_dirty_silent", "pages_sent", "pages_skipped",
            "pages_zero", "xbzrle_hits", "xbzrle_misses", "xbzrle_overflows", "payload_bytes", "oracle_pages",
            "ack_mismatches", "bytes_on_wire", "ack_bytes", "duration_ms", "dirty_rate");
    static final List<String> SUMMARY_KEYS = List.of("run", "mode", "xbzrle", "verified", "error", "converged",
            "iterations", "total_ms", "downtime_ms", "verify_ms", "pages_total", "pages_sent", "pages_skipped",
            "pages_false_dirty", "pages_zero", "xbzrle_hits", "payload_bytes", "bytes_on_wire", "ack_bytes",
            "oracle_bytes", "wire_over_oracle", "false_dirty_share_2", "false_dirty_share_3", "digest", "page_size",
            "bandwidth", "downtime_limit_ms", "workload", "source");

    private TrialFiles() {
    }

    /** The summary object of one run. */
    static Json summary(TrialRun r, TrialSettings t) {
        Json j = r.summary().toJson();
        j.put("run", r.variant().label())
                .put("error", r.error())
                .put("verified", r.error() == null && r.summary().verified())
                .put("wire_over_oracle", r.wireOverOracle())
                .put("false_dirty_share_2", r.iteration(2) == null ? null : r.iteration(2).falseDirtyShare())
                .put("false_dirty_share_3", r.iteration(3) == null ? null : r.iteration(3).falseDirtyShare())
                .put("bandwidth", t.engine().bandwidthBytesPerSecond())
                .put("downtime_limit_ms", t.engine().downtimeLimit().toMillis())
                .put("workload", t.workload().name());
        return j;
    }

    static Json iteration(TrialRun r, IterationStats s) {
        return s.toJson().put("run", r.variant().label());
    }

    public static void write(Path dir, List<TrialRun> runs, TrialSettings t) throws IOException {
        List<Json> summaries = new ArrayList<>();
        List<Json> iterations = new ArrayList<>();
        List<String> summaryCsv = new ArrayList<>(List.of(String.join(",", SUMMARY_KEYS)));
        List<String> iterationCsv = new ArrayList<>(List.of("run," + String.join(",", ITERATION_KEYS)));
        for (TrialRun r : runs) {
            Json s = summary(r, t);
            summaries.add(s);
            summaryCsv.add(csv(s, SUMMARY_KEYS, ""));
            for (IterationStats i : r.iterations()) {
                Json j = iteration(r, i);
                iterations.add(j);
                iterationCsv.add(csv(j, ITERATION_KEYS, cell(r.variant().label()) + ","));
            }
        }
        Files.writeString(dir.resolve("summary.json"), list(summaries), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("iterations.json"), list(iterations), StandardCharsets.UTF_8);
        Files.write(dir.resolve("summary.csv"), summaryCsv, StandardCharsets.UTF_8);
        Files.write(dir.resolve("iterations.csv"), iterationCsv, StandardCharsets.UTF_8);
    }

    /** A JSON list with one object per line, so that diff and grep work on it. */
    private static String list(List<Json> items) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < items.size(); i++) {
            sb.append(items.get(i)).append(i + 1 < items.size() ? ",\n" : "\n");
        }
        return sb.append("]\n").toString();
    }

    private static String csv(Json j, List<String> keys, String prefix) {
        StringBuilder sb = new StringBuilder(prefix);
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(cell(j.get(keys.get(i))));
        }
        return sb.toString();
    }

    private static String cell(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double d) {
            return String.format(Locale.ROOT, "%.4f", d);
        }
        String s = v.toString();
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
