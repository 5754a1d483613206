package tern.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tern.common.stats.Json;

/**
 * The report and the --out document built from fixed results: other tools and the README read
 * the document's keys and the printed rows, so their names and order are pinned here.
 */
class BenchReportTest {
    private static final long MIB = BenchConstants.MIB;
    private static final long GIB = BenchConstants.GIB;
    private static final MachineLoad LOAD = new MachineLoad(0.5, 0.5, 0, 0);

    private static ProcSampler.Peaks peaks(long vmHwm, long rssAnon) {
        return new ProcSampler.Peaks(vmHwm, vmHwm, rssAnon, 0, 0, 7);
    }

    private static TcpResult tcp(boolean discard, double sinkSys) {
        TcpRound warm = new TcpRound(1, true, 64 * MIB, 100_000_000L, 90_000_000L, new Cpu(0.1, 0.1), new Cpu(0.1, 0.1), LOAD);
        TcpRound best = new TcpRound(2, false, GIB, 500_000_000L, 450_000_000L, new Cpu(0.3, 0.1),
                new Cpu(0.1, sinkSys), LOAD);
        return new TcpResult(discard, List.of(warm, best), best, discard ? null : true, new Cpu(1, 1),
                peaks(50 * MIB, 20 * MIB), peaks(60 * MIB, 30 * MIB));
    }

    private static TernRun tern(TernConfig c, long bytes, double receiverSys, long senderHwm, long receiverHwm) {
        Map<String, Cpu> threads = new LinkedHashMap<>();
        threads.put("main (java)", new Cpu(1.0, 0.1));
        threads.put("C2 CompilerThre", new Cpu(0.5, 0));
        return new TernRun(c, bytes, bytes / 4096, bytes + 4096, bytes, 1000, bytes / 4096, 0, 0, 1.001,
                new Cpu(2, 0.2), new Cpu(1.5, receiverSys), new Cpu(4, 0.4), new Cpu(3, 0.3), new Cpu(7, 0.7),
                peaks(senderHwm, senderHwm / 2), peaks(receiverHwm, receiverHwm / 2), 3.5, 2500, 40L, threads, threads, LOAD);
    }

    private static BenchResults results(int repeat, List<TernRun> memory, List<String> notes) {
        List<List<TernRun>> terns = new ArrayList<>();
        for (TernConfig c : TernConfig.ALL) {
            List<TernRun> runs = new ArrayList<>();
            for (int i = 0; i < repeat; i++) {
                runs.add(tern(c, GIB, 0.3, 300 * MIB, 200 * MIB));
            }
            terns.add(runs);
        }
        List<LocalWrite> locals = new ArrayList<>();
        List<TcpResult> tcps = new ArrayList<>();
        List<TcpResult> discards = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            locals.add(new LocalWrite(GIB, 250_000_000L, new Cpu(0, 0.3), LOAD));
            tcps.add(tcp(false, 0.4));
            discards.add(tcp(true, 0.1));
        }
        return new BenchResults(GIB, 512 * MIB, 256 * 1024, repeat, new Throughput(locals, tcps, discards, terns),
                memory, notes);
    }

    /** The keys of a JSON object's own level, in order, from its text. */
    private static List<String> keys(Object json) {
        String s = json.toString();
        List<String> keys = new ArrayList<>();
        int depth = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                int end = i + 1;
                while (s.charAt(end) != '"') {
                    end += s.charAt(end) == '\\' ? 2 : 1;
                }
                if (depth == 1 && s.charAt(end + 1) == ':') {
                    keys.add(s.substring(i + 1, end));
                }
                i = end;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return keys;
    }

    private static Json object(Json j, String key) {
        return (Json) j.get(key);
    }

    @Test
    void theOutDocumentKeepsItsKeys() {
        List<TernRun> memory = List.of(tern(TernConfig.defaultConfig(), GIB, 0.3, 300 * MIB, 200 * MIB),
                tern(TernConfig.defaultConfig(), 2 * GIB, 0.3, 310 * MIB, 220 * MIB));
        Json j = BenchJson.of(results(2, memory, List.of("a note")), Path.of("/tmp"), Path.of("/tmp"));
        assertEquals(List.of("tcp_bytes_per_s", "tern_bytes_per_s", "ratio", "ratio_config", "streams", "multi_stream", "date",
                "machine", "jdk", "image_bytes", "page_size", "buffer_bytes", "tcp_warmup_bytes", "repeat", "cpu_method",
                "local_pwrite", "tcp", "tcp_sink_discards", "tern", "selection", "tcp_runs_bytes_per_s",
                "local_pwrite_runs_bytes_per_s", "tcp_sink_discards_runs_bytes_per_s", "memory", "memory_marginal_per_gib",
                "notes"), keys(j));
        assertEquals(List.of("cores", "cpu_model", "mem_total_bytes", "os", "image_fs", "source_fs"), keys(j.get("machine")));
        assertEquals(List.of("bytes", "bytes_per_s", "cpu_s_per_gib", "machine", "what"), keys(j.get("local_pwrite")));
        assertEquals(List.of("bytes_per_s", "measured", "sink_writes_image", "image_matches_source", "machine",
                "source_cpu_s_per_gib", "sink_cpu_s_per_gib", "rounds", "rusage_children_cpu_s", "source_peaks", "sink_peaks"),
                keys(j.get("tcp")));
        assertEquals(List.of("round", "warmup", "bytes", "nanos", "sink_nanos", "bytes_per_s", "source_cpu_s", "sink_cpu_s",
                "machine"), keys(((List<?>) object(j, "tcp").get("rounds")).get(0)));
        assertEquals(List.of("vm_hwm", "peak_rss", "peak_rss_anon", "peak_rss_file", "peak_rss_shmem", "samples"),
                keys(object(j, "tcp").get("sink_peaks")));
        List<?> tern = (List<?>) j.get("tern");
        assertEquals(TernConfig.ALL.size(), tern.size());
        assertEquals(List.of("config", "flags", "source", "bytes_per_s", "payload_bytes_per_s", "ratio", "bytes_on_wire",
                "payload_bytes", "duration_ms", "mark_window_s", "machine", "pages", "pages_sent", "pages_skipped", "pages_zero",
                "sender_bulk_cpu_s_per_gib", "receiver_bulk_cpu_s_per_gib", "sender_cpu_ratio_to_tcp",
                "receiver_cpu_ratio_to_tcp", "sender_bulk_cpu_s_per_gib_by_thread", "receiver_bulk_cpu_s_per_gib_by_thread",
                "sender_whole_run_cpu_s", "receiver_whole_run_cpu_s", "rusage_children_cpu_s", "wall_seconds", "total_ms",
                "verify_ms", "sender_peaks", "receiver_peaks", "runs_bytes_per_s"), keys(tern.get(0)));
        assertEquals(List.of("main (java)", "C2 CompilerThre"), keys(((Json) tern.get(0)).get("sender_bulk_cpu_s_per_gib_by_thread")));
        assertEquals(List.of("vm_hwm", "peak_rss", "peak_rss_anon", "peak_rss_file", "peak_rss_shmem", "samples",
                "vm_hwm_per_gib", "peak_rss_per_gib", "peak_rss_anon_per_gib"), keys(((Json) tern.get(0)).get("sender_peaks")));
        assertEquals(List.of("image_bytes", "config", "bulk_bytes_per_s", "sender", "receiver", "sender_bulk_cpu_s_per_gib",
                "receiver_bulk_cpu_s_per_gib", "sender_bulk_cpu_s_per_gib_by_thread", "receiver_bulk_cpu_s_per_gib_by_thread",
                "machine", "wall_seconds"), keys(((List<?>) j.get("memory")).get(0)));
        // 1 GiB -> 2 GiB: the sender's VmHWM grew by 10 MiB, the receiver's by 20 MiB, RssAnon by half of each
        Json marginal = object(j, "memory_marginal_per_gib");
        assertEquals(List.of("from_bytes", "to_bytes", "sender_vm_hwm", "sender_rss_anon", "receiver_vm_hwm",
                "receiver_rss_anon"), keys(marginal));
        assertEquals(10 * MIB, marginal.get("sender_vm_hwm"));
        assertEquals(5 * MIB, marginal.get("sender_rss_anon"));
        assertEquals(20 * MIB, marginal.get("receiver_vm_hwm"));
        assertEquals(10 * MIB, marginal.get("receiver_rss_anon"));
        assertEquals(List.of("a note"), j.get("notes"));
    }

    @Test
    void oneRoundAndNoMemoryRunsLeaveTheirKeysOut() {
        Json j = BenchJson.of(results(1, List.of(), List.of()), Path.of("/tmp"), Path.of("/tmp"));
        List<String> keys = keys(j);
        assertTrue(keys.contains("memory"));
        for (String absent : List.of("tcp_runs_bytes_per_s", "local_pwrite_runs_bytes_per_s",
                "tcp_sink_discards_runs_bytes_per_s", "memory_marginal_per_gib")) {
            assertTrue(!keys.contains(absent), absent);
        }
        assertTrue(!keys(((List<?>) j.get("tern")).get(0)).contains("runs_bytes_per_s"));
        // GB/s of Tern over the TCP ceiling: (1 GiB + 4 KiB) in 1 s against 1 GiB in 0.5 s
        assertEquals("0.5000", j.get("ratio").toString());
    }

    @Test
    void theTextHasEveryRowTheMarginalAndTheNotesInOrder() {
        List<TernRun> memory = List.of(tern(TernConfig.defaultConfig(), GIB, 0.3, 300 * MIB, 200 * MIB),
                tern(TernConfig.defaultConfig(), 2 * GIB, 0.3, 310 * MIB, 220 * MIB));
        String text = BenchReport.text(results(1, memory, List.of("first", "second")));
        List<String> lines = List.of(text.split("\n"));
        for (String label : List.of("local pwrite only, no network", "tcp, sink discards (network only)",
                "tcp raw ceiling (same reads+writes)")) {
            assertEquals(1, lines.stream().filter(l -> l.startsWith(label)).count(), label);
        }
        for (TernConfig c : TernConfig.ALL) {
            // the throughput row, the whole-run row and the by-thread heading
            assertEquals(3, lines.stream().filter(l -> l.strip().startsWith(c.label())).count(), c.label());
        }
        assertTrue(text.contains("marginal per GiB (1.0 GiB -> 2.0 GiB): sender VmHWM 10.0 MiB, RssAnon 5.0 MiB;"
                + " receiver VmHWM 20.0 MiB, RssAnon 10.0 MiB\n"), text);
        assertTrue(text.endsWith("note: first\nnote: second\n"), text);
    }

    @Test
    void aReceiverFarAboveTheSinksKernelTimeGetsANote() {
        TernRun slow = tern(TernConfig.defaultConfig(), 2 * GIB, 3.0, 300 * MIB, 200 * MIB);
        BenchResults r = results(1, List.of(slow), List.of());
        // the sink: 0.4 s/GiB of kernel time; the throughput runs' receivers 0.3 s/GiB, the memory run's 3.0 s over 2 GiB
        List<String> notes = BenchReport.slowPageCacheNotes(r.throughput(), r.memory());
        assertEquals(1, notes.size());
        assertTrue(notes.get(0).startsWith("digest-sha256 at 2.0 GiB: the receiver's kernel time was 1.50 s/GiB against"
                + " the TCP sink's 0.40"), notes.get(0));
    }
}
