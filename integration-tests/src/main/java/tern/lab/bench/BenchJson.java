package tern.lab.bench;

import static tern.lab.bench.BenchConstants.GIB;
import static tern.lab.bench.BenchConstants.PAGE_SIZE;
import static tern.lab.bench.BenchConstants.SAMPLE_MS;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tern.common.stats.Json;

/**
 * The --out document: the headline ratio, the machine and JDK, every kind of run with each
 * round's figures, the memory runs, and the notes. Other tools and the README read its keys.
 */
final class BenchJson {
    private BenchJson() {
    }

    /** {@code imageDir} and {@code sourceDir}: --dir and --shm, whose file systems are reported. */
    static Json of(BenchResults r, Path imageDir, Path sourceDir) {
        Throughput tp = r.throughput();
        TcpResult tcp = tp.tcp();
        double tcpBps = tcp.best().bytesPerS();
        List<TernRun> terns = tp.ternBest();
        int repeat = r.repeat();
        TernRun def = terns.stream().filter(t -> t.config().name().equals("digest-sha256")).findFirst().orElse(terns.get(0));
        Json j = Json.object()
                .put("tcp_bytes_per_s", Math.round(tcpBps))
                .put("tern_bytes_per_s", Math.round(def.bytesPerS()))
                .put("ratio", sig(def.bytesPerS() / tcpBps))
                .put("ratio_config", def.config().name())
                .put("streams", 1)
                .put("multi_stream", "not implemented in Tern yet: every figure is one TCP connection")
                .put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
                .put("machine", MachineFacts.json(imageDir, sourceDir))
                .put("jdk", Json.object().put("version", System.getProperty("java.version"))
                        .put("vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"))
                        .put("vendor", System.getProperty("java.vendor"))
                        .put("tern_java_opts", System.getenv("TERN_JAVA_OPTS") == null ? "(launcher default: -XX:+UseSerialGC -Xmn16m)"
                                : System.getenv("TERN_JAVA_OPTS")))
                .put("image_bytes", r.imageBytes())
                .put("page_size", PAGE_SIZE)
                .put("buffer_bytes", r.bufferBytes())
                .put("tcp_warmup_bytes", r.warmupBytes())
                .put("repeat", repeat)
                .put("cpu_method", "utime+stime from /proc/PID/stat (all threads), read at the run's marks; whole runs: last"
                        + " sample before exit (every " + SAMPLE_MS + " ms), checked against getrusage of reaped children"
                        + " (cutime+cstime of the benchmark process)")
                .put("local_pwrite", localJson(tp.local()))
                .put("tcp", tcpJson(tcp))
                .put("tcp_sink_discards", tcpJson(tp.discard()));
        List<Object> configs = new ArrayList<>();
        for (int i = 0; i < terns.size(); i++) {
            Json c = ternJson(terns.get(i), tcp);
            if (repeat > 1) {
                c.put("runs_bytes_per_s", tp.terns().get(i).stream().map(t -> (Object) Math.round(t.bytesPerS())).toList());
            }
            configs.add(c);
        }
        j.put("tern", configs);
        j.put("selection", "each kind's fastest of " + repeat + " rounds");
        if (repeat > 1) {
            j.put("tcp_runs_bytes_per_s", tp.tcps().stream().map(t -> (Object) Math.round(t.best().bytesPerS())).toList());
            j.put("local_pwrite_runs_bytes_per_s", tp.locals().stream().map(l -> (Object) Math.round(l.bytesPerS())).toList());
            j.put("tcp_sink_discards_runs_bytes_per_s",
                    tp.discards().stream().map(t -> (Object) Math.round(t.best().bytesPerS())).toList());
        }
        List<TernRun> memory = r.memory();
        List<Object> mem = new ArrayList<>();
        for (TernRun m : memory) {
            mem.add(memoryJson(m));
        }
        j.put("memory", mem);
        MemoryMarginal.of(memory).ifPresent(m -> j.put("memory_marginal_per_gib", Json.object()
                .put("from_bytes", m.lo().imageBytes()).put("to_bytes", m.hi().imageBytes())
                .put("sender_vm_hwm", Math.round(m.senderVmHwm()))
                .put("sender_rss_anon", Math.round(m.senderRssAnon()))
                .put("receiver_vm_hwm", Math.round(m.receiverVmHwm()))
                .put("receiver_rss_anon", Math.round(m.receiverRssAnon()))));
        j.put("notes", new ArrayList<Object>(r.notes()));
        return j;
    }

    /** Four significant digits (Json writes a double with three decimals, too few for a small ratio). */
    private static Object sig(double v) {
        return Double.isFinite(v) ? new BigDecimal(v).round(new MathContext(4)) : null;
    }

    private static Json localJson(LocalWrite l) {
        return Json.object().put("bytes", l.bytes()).put("bytes_per_s", Math.round(l.bytesPerS()))
                .put("cpu_s_per_gib", l.cpu().perGib(l.bytes()).json())
                .put("machine", l.machine().json())
                .put("what", "one thread: 256 KiB positional writes into a new sparse file in --dir (the image side alone)");
    }

    private static Json tcpJson(TcpResult t) {
        TcpRound best = t.best();
        List<Object> rounds = new ArrayList<>();
        for (TcpRound r : t.rounds()) {
            rounds.add(Json.object().put("round", r.round()).put("warmup", r.warmup()).put("bytes", r.bytes())
                    .put("nanos", r.nanos()).put("sink_nanos", r.sinkNanos()).put("bytes_per_s", Math.round(r.bytesPerS()))
                    .put("source_cpu_s", r.source().json()).put("sink_cpu_s", r.sink().json())
                    .put("machine", r.machine().json()));
        }
        return Json.object()
                .put("bytes_per_s", Math.round(best.bytesPerS()))
                .put("measured", "best of the rounds after the warm-up; from the first page copied to the sink's"
                        + " acknowledgement of its last write")
                .put("sink_writes_image", !t.discard())
                .put("image_matches_source", t.imageMatches())
                .put("machine", best.machine().json())
                .put("source_cpu_s_per_gib", best.source().perGib(best.bytes()).json())
                .put("sink_cpu_s_per_gib", best.sink().perGib(best.bytes()).json())
                .put("rounds", rounds)
                .put("rusage_children_cpu_s", t.rusage().json())
                .put("source_peaks", peaksJson(t.sourcePeaks(), -1))
                .put("sink_peaks", peaksJson(t.sinkPeaks(), -1));
    }

    private static Json ternJson(TernRun t, TcpResult tcp) {
        TcpRound tb = tcp.best();
        Cpu s = t.senderBulk().perGib(t.payloadBytes());
        Cpu r = t.receiverBulk().perGib(t.payloadBytes());
        return Json.object()
                .put("config", t.config().name())
                .put("flags", String.join(" ", t.config().flags()))
                .put("source", t.config().fileSource() ? "file: in /dev/shm" : "workload idle --zero-fraction 0 (file: refuses this mode)")
                .put("bytes_per_s", Math.round(t.bytesPerS()))
                .put("payload_bytes_per_s", Math.round(t.payloadPerS()))
                .put("ratio", sig(t.bytesPerS() / tb.bytesPerS()))
                .put("bytes_on_wire", t.bytesOnWire())
                .put("payload_bytes", t.payloadBytes())
                .put("duration_ms", t.durationMs())
                .put("mark_window_s", t.markSeconds())
                .put("machine", t.machine().json())
                .put("pages", t.pages())
                .put("pages_sent", t.pagesSent())
                .put("pages_skipped", t.pagesSkipped())
                .put("pages_zero", t.pagesZero())
                .put("sender_bulk_cpu_s_per_gib", s.json())
                .put("receiver_bulk_cpu_s_per_gib", r.json())
                .put("sender_cpu_ratio_to_tcp", sig(s.total() / tb.source().perGib(tb.bytes()).total()))
                .put("receiver_cpu_ratio_to_tcp", sig(r.total() / tb.sink().perGib(tb.bytes()).total()))
                .put("sender_bulk_cpu_s_per_gib_by_thread", threadsJson(t.senderThreads(), t.payloadBytes()))
                .put("receiver_bulk_cpu_s_per_gib_by_thread", threadsJson(t.receiverThreads(), t.payloadBytes()))
                .put("sender_whole_run_cpu_s", t.senderWhole().json())
                .put("receiver_whole_run_cpu_s", t.receiverWhole().json())
                .put("rusage_children_cpu_s", t.rusage().json())
                .put("wall_seconds", t.wallSeconds())
                .put("total_ms", t.totalMs())
                .put("verify_ms", t.verifyMs())
                .put("sender_peaks", peaksJson(t.sender(), t.imageBytes() / (double) GIB))
                .put("receiver_peaks", peaksJson(t.receiver(), t.imageBytes() / (double) GIB));
    }

    private static Json memoryJson(TernRun m) {
        double g = m.imageBytes() / (double) GIB;
        return Json.object()
                .put("image_bytes", m.imageBytes())
                .put("config", m.config().name())
                .put("bulk_bytes_per_s", Math.round(m.bytesPerS()))
                .put("sender", peaksJson(m.sender(), g))
                .put("receiver", peaksJson(m.receiver(), g))
                .put("sender_bulk_cpu_s_per_gib", m.senderBulk().perGib(m.payloadBytes()).json())
                .put("receiver_bulk_cpu_s_per_gib", m.receiverBulk().perGib(m.payloadBytes()).json())
                .put("sender_bulk_cpu_s_per_gib_by_thread", threadsJson(m.senderThreads(), m.payloadBytes()))
                .put("receiver_bulk_cpu_s_per_gib_by_thread", threadsJson(m.receiverThreads(), m.payloadBytes()))
                .put("machine", m.machine().json())
                .put("wall_seconds", m.wallSeconds());
    }

    private static Json threadsJson(Map<String, Cpu> threads, long bytes) {
        Json j = Json.object();
        threads.forEach((k, v) -> j.put(k, v.perGib(bytes).json()));
        return j;
    }

    private static Json peaksJson(ProcSampler.Peaks p, double gib) {
        Json j = Json.object().put("vm_hwm", p.vmHwm()).put("peak_rss", p.rss()).put("peak_rss_anon", p.rssAnon())
                .put("peak_rss_file", p.rssFile()).put("peak_rss_shmem", p.rssShmem()).put("samples", p.samples());
        if (gib > 0) {
            j.put("vm_hwm_per_gib", Math.round(p.vmHwm() / gib)).put("peak_rss_per_gib", Math.round(p.rss() / gib))
                    .put("peak_rss_anon_per_gib", Math.round(p.rssAnon() / gib));
        }
        return j;
    }
}
