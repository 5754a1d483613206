package tern.lab.bench;

import static tern.lab.bench.BenchConstants.GIB;
import static tern.lab.bench.BenchConstants.MIB;
import static tern.lab.bench.BenchConstants.SAMPLE_MS;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tern.common.units.ByteSize;

/**
 * The printed report: throughput and bulk-pass CPU of each kind of run against the TCP ceiling,
 * Tern's whole runs, bulk-pass CPU by kind of thread, peak memory per GiB of image, and the notes.
 */
final class BenchReport {
    private BenchReport() {
    }

    /**
     * Notes on runs whose receiver spent far more kernel time per GiB than the TCP sink. The
     * receiver stores with the same positional writes as the sink, so that means the page cache
     * was slower to fill in that run: the machine, not Tern's own work.
     */
    static List<String> slowPageCacheNotes(Throughput throughput, List<TernRun> memory) {
        TcpRound tb = throughput.tcp().best();
        double sinkSys = tb.sink().perGib(tb.bytes()).sys();
        List<TernRun> all = new ArrayList<>(throughput.ternBest());
        all.addAll(memory);
        List<String> notes = new ArrayList<>();
        for (TernRun t : all) {
            double sys = t.receiverBulk().perGib(t.payloadBytes()).sys();
            if (sys > 2 * sinkSys + 0.2) {
                notes.add(String.format(Locale.ROOT, "%s at %s: the receiver's kernel time was %.2f s/GiB against the TCP"
                                + " sink's %.2f for the same writes: the image's page cache filled slower in that run (dirty"
                                + " data past the kernel's limits, or memory the host took back after it was freed and must"
                                + " fault in again); compare the local pwrite row", t.config().name(),
                        ByteSize.format(t.imageBytes()), sys, sinkSys));
            }
        }
        return notes;
    }

    static String text(BenchResults r) {
        Throughput tp = r.throughput();
        LocalWrite local = tp.local();
        TcpRound tb = tp.tcp().best();
        double tcpBps = tb.bytesPerS();
        Cpu tcpSrc = tb.source().perGib(tb.bytes());
        Cpu tcpSink = tb.sink().perGib(tb.bytes());
        List<TernRun> terns = tp.ternBest();
        StringBuilder b = new StringBuilder();
        b.append('\n').append(String.format(Locale.ROOT,
                "Throughput on loopback, %s image, ONE stream (Tern has no multi-stream yet), %d cores (%s)%n",
                ByteSize.format(r.imageBytes()), MachineFacts.cores(), MachineFacts.cpuModel()));
        b.append(String.format(Locale.ROOT, "%-40s %7s %7s %8s | %-20s %6s | %-20s %6s | %s%n", "", "GB/s", "MiB/s", "x tcp",
                "sender CPU s/GiB", "x tcp", "receiver CPU s/GiB", "x tcp", "machine %"));
        b.append(String.format(Locale.ROOT, "%-40s %7s %7s %8s | %-20s %6s | %-20s %6s | %s%n", "", "", "", "",
                "total (user+sys)", "", "total (user+sys)", "", "busy/idle/iowait/steal"));
        row(b, "local pwrite only, no network", local.bytesPerS(), tcpBps, null, null, local.cpu().perGib(local.bytes()),
                tcpSink, local.machine());
        TcpRound db = tp.discard().best();
        row(b, "tcp, sink discards (network only)", db.bytesPerS(), tcpBps, db.source().perGib(db.bytes()), tcpSrc,
                db.sink().perGib(db.bytes()), tcpSink, db.machine());
        row(b, "tcp raw ceiling (same reads+writes)", tcpBps, tcpBps, tcpSrc, tcpSrc, tcpSink, tcpSink, tb.machine());
        for (TernRun t : terns) {
            row(b, t.config().label(), t.bytesPerS(), tcpBps, t.senderBulk().perGib(t.payloadBytes()), tcpSrc,
                    t.receiverBulk().perGib(t.payloadBytes()), tcpSink, t.machine());
        }
        b.append("Tern: bulk pass = iteration 1 of --stats (bytes_on_wire / duration_ms); CPU over the same window. machine %:"
                + " all cores over the window (/proc/stat); steal = the host ran something else.\n");
        b.append("Whole Tern runs (JVM start to exit: + connection setup, the digest scans after the pass, root, verification):\n");
        b.append(String.format(Locale.ROOT, "%-40s %8s %8s | %-20s | %-20s | %s%n", "", "wall s", "bulk s",
                "sender CPU s/GiB", "receiver CPU s/GiB", "check: rusage children (s)"));
        for (TernRun t : terns) {
            b.append(String.format(Locale.ROOT, "%-40s %8.1f %8.1f | %-20s | %-20s | %.2f vs sampled %.2f%n",
                    t.config().label(), t.wallSeconds(), t.durationMs() / 1e3, t.senderWhole().perGib(t.imageBytes()).show(),
                    t.receiverWhole().perGib(t.imageBytes()).show(), t.rusage().total(),
                    t.senderWhole().total() + t.receiverWhole().total()));
        }
        b.append("Where each Tern side's bulk-pass CPU goes, by thread (CPU s per GiB moved, user+sys; # = any number):\n");
        for (TernRun t : terns) {
            b.append(String.format(Locale.ROOT, "  %s%n    sender:   %s%n    receiver: %s%n", t.config().label(),
                    threadLine(t.senderThreads(), t.payloadBytes()), threadLine(t.receiverThreads(), t.payloadBytes())));
        }
        memory(b, r.memory());
        for (String n : r.notes()) {
            b.append("note: ").append(n).append('\n');
        }
        return b.toString();
    }

    private static void memory(StringBuilder b, List<TernRun> memory) {
        if (memory.isEmpty()) {
            return;
        }
        b.append(String.format(Locale.ROOT, "%nPeak memory per GiB of image (tern digest sha256, sampled every %d ms;"
                + " sender RSS includes the source's /dev/shm mapping, RssShmem)%n", SAMPLE_MS));
        b.append(String.format(Locale.ROOT, "%-8s %-8s %10s %10s %10s %10s | %11s %11s %11s | %7s%n", "image", "side",
                "VmHWM MiB", "RSS MiB", "Anon MiB", "Shmem MiB", "HWM/GiB", "RSS/GiB", "Anon/GiB", "GB/s"));
        for (TernRun m : memory) {
            memRow(b, m, "sender", m.sender());
            memRow(b, m, "receiver", m.receiver());
        }
        MemoryMarginal.of(memory).ifPresent(m -> b.append(String.format(Locale.ROOT, "marginal per GiB (%s -> %s):"
                        + " sender VmHWM %.1f MiB, RssAnon %.1f MiB; receiver VmHWM %.1f MiB, RssAnon %.1f MiB%n",
                ByteSize.format(m.lo().imageBytes()), ByteSize.format(m.hi().imageBytes()), m.senderVmHwm() / MIB,
                m.senderRssAnon() / MIB, m.receiverVmHwm() / MIB, m.receiverRssAnon() / MIB)));
    }

    private static void row(StringBuilder b, String label, double bps, double tcpBps, Cpu sender, Cpu tcpSender, Cpu receiver,
                            Cpu tcpReceiver, MachineLoad machine) {
        b.append(String.format(Locale.ROOT, "%-40s %7.3f %7.0f %8.2f | %-20s %6s | %-20s %6s | %s%n", label, bps / 1e9, bps / MIB,
                bps / tcpBps, sender == null ? "-" : sender.show(), sender == null ? "" : ratio(sender, tcpSender),
                receiver == null ? "-" : receiver.show(), receiver == null ? "" : ratio(receiver, tcpReceiver), machine.show()));
    }

    /** The busiest kinds of thread, "main 2.10 (1.90+0.20), ...", the rest summed. */
    private static String threadLine(Map<String, Cpu> threads, long bytes) {
        StringBuilder b = new StringBuilder();
        int shown = 0;
        double restU = 0;
        double restS = 0;
        for (Map.Entry<String, Cpu> e : threads.entrySet()) {
            Cpu c = e.getValue().perGib(bytes);
            if (shown < 5 && c.total() >= 0.01) {
                b.append(shown++ > 0 ? ", " : "").append(e.getKey()).append(' ').append(c.show());
            } else {
                restU += c.user();
                restS += c.sys();
            }
        }
        if (restU + restS > 0) {
            b.append(", other threads ").append(new Cpu(restU, restS).show());
        }
        return b.length() == 0 ? "(not measured)" : b.toString();
    }

    private static String ratio(Cpu a, Cpu b) {
        return b.total() <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a.total() / b.total());
    }

    private static void memRow(StringBuilder b, TernRun m, String side, ProcSampler.Peaks p) {
        double g = m.imageBytes() / (double) GIB;
        b.append(String.format(Locale.ROOT, "%-8s %-8s %10.1f %10.1f %10.1f %10.1f | %11.1f %11.1f %11.1f | %7s%n",
                side.equals("sender") ? ByteSize.format(m.imageBytes()) : "", side, p.vmHwm() / (double) MIB,
                p.rss() / (double) MIB, p.rssAnon() / (double) MIB, p.rssShmem() / (double) MIB, p.vmHwm() / g / MIB,
                p.rss() / g / MIB, p.rssAnon() / g / MIB,
                side.equals("sender") ? String.format(Locale.ROOT, "%.3f", m.bytesPerS() / 1e9) : ""));
    }
}
