package tern.lab.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Samples {@code /proc/PID/stat} and {@code /proc/PID/status} of some processes every few
 * milliseconds on its own thread. Per process it keeps the last CPU time seen (the process's CPU
 * at exit, give or take one period) and the peaks of VmRSS, RssAnon, RssFile and RssShmem, each
 * on its own, with the last VmHWM (the kernel's own peak RSS). {@link Watch#cpuNow()} reads the
 * CPU time at once, for marks at known points of a run.
 */
public final class ProcSampler implements AutoCloseable {
    /** One process's figures; sizes in bytes, CPU in clock ticks. */
    public static final class Watch {
        final String name;
        final long pid;
        private volatile ProcFs.CpuTicks lastCpu = new ProcFs.CpuTicks(0, 0, 0, 0);
        volatile long peakRss;
        volatile long peakAnon;
        volatile long peakFile;
        volatile long peakShmem;
        volatile long vmHwm;
        volatile long samples;

        Watch(String name, long pid) {
            this.name = name;
            this.pid = pid;
        }

        /** The CPU time now, or the last seen if the process has exited. */
        ProcFs.CpuTicks cpuNow() {
            ProcFs.readStat(pid).ifPresent(c -> lastCpu = c);
            return lastCpu;
        }

        /** The last CPU time sampled: after exit, the CPU of the whole run less at most one period. */
        ProcFs.CpuTicks lastCpu() {
            return lastCpu;
        }

        public Peaks peaks() {
            return new Peaks(peakRss, vmHwm, peakAnon, peakFile, peakShmem, samples);
        }

        private void sample() {
            cpuNow();
            Map<String, Long> m = ProcFs.readStatus(pid).orElse(null);
            if (m == null || !m.containsKey("RssAnon")) {
                return; // exited, or a zombie whose memory is gone
            }
            peakRss = Math.max(peakRss, m.getOrDefault("VmRSS", 0L));
            peakAnon = Math.max(peakAnon, m.getOrDefault("RssAnon", 0L));
            peakFile = Math.max(peakFile, m.getOrDefault("RssFile", 0L));
            peakShmem = Math.max(peakShmem, m.getOrDefault("RssShmem", 0L));
            vmHwm = Math.max(vmHwm, m.getOrDefault("VmHWM", 0L));
            samples++;
        }
    }

    /** Memory peaks of one process, in bytes. */
    public record Peaks(long rss, long vmHwm, long rssAnon, long rssFile, long rssShmem, long samples) {
    }

    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final long periodMillis;
    private final Thread thread;
    private volatile boolean stop;

    public ProcSampler(long periodMillis) {
        this.periodMillis = periodMillis;
        this.thread = new Thread(this::run, "tern-bench-proc-sampler");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Starts watching a process (sampled once at once). */
    public Watch watch(String name, long pid) {
        Watch w = new Watch(name, pid);
        w.sample();
        watches.add(w);
        return w;
    }

    private void run() {
        while (!stop) {
            for (Watch w : watches) {
                w.sample();
            }
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(5_000);
    }
}
