package tern.it.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples {@code /proc/PID/status} of some processes every few milliseconds on its own thread and
 * keeps, per process, the peak of RssAnon, RssFile and RssShmem (each peak on its own) and the
 * last VmHWM seen. Sampling is the measurement itself: a peak shorter than the period can be
 * missed, which for a JVM (whose heap and malloc arenas grow and rarely shrink) does not matter.
 */
final class ProcStatusSampler implements AutoCloseable {
    /** Peaks of one process, in KiB as the kernel reports them. */
    static final class Peaks {
        final String name;
        final long pid;
        volatile long rssAnonKb;
        volatile long rssFileKb;
        volatile long rssShmemKb;
        volatile long vmHwmKb;
        volatile long samples;

        Peaks(String name, long pid) {
            this.name = name;
            this.pid = pid;
        }

        @Override
        public String toString() {
            return name + "(pid " + pid + "): peak RssAnon " + rssAnonKb + " kB, RssFile " + rssFileKb
                    + " kB, RssShmem " + rssShmemKb + " kB, VmHWM " + vmHwmKb + " kB, " + samples + " samples";
        }
    }

    private final Map<String, Peaks> peaks = new LinkedHashMap<>();
    private final long periodMillis;
    private final Thread thread;
    private volatile boolean stop;

    ProcStatusSampler(long periodMillis) {
        this.periodMillis = periodMillis;
        this.thread = new Thread(this::run, "proc-status-sampler");
        this.thread.setDaemon(true);
    }

    /** Adds a process before {@link #start()}. */
    Peaks watch(String name, long pid) {
        Peaks p = new Peaks(name, pid);
        peaks.put(name, p);
        return p;
    }

    ProcStatusSampler start() {
        thread.start();
        return this;
    }

    private void run() {
        List<Peaks> all = List.copyOf(peaks.values());
        while (!stop) {
            for (Peaks p : all) {
                sample(p);
            }
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
        for (Peaks p : all) {
            sample(p); // a last look, if the process is still there
        }
    }

    private static void sample(Peaks p) {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", Long.toString(p.pid), "status"));
        } catch (IOException e) {
            return; // exited (or being reaped): nothing more to see
        }
        long anon = -1;
        for (String l : lines) {
            if (l.startsWith("RssAnon:")) {
                anon = kb(l);
                p.rssAnonKb = Math.max(p.rssAnonKb, anon);
            } else if (l.startsWith("RssFile:")) {
                p.rssFileKb = Math.max(p.rssFileKb, kb(l));
            } else if (l.startsWith("RssShmem:")) {
                p.rssShmemKb = Math.max(p.rssShmemKb, kb(l));
            } else if (l.startsWith("VmHWM:")) {
                p.vmHwmKb = Math.max(p.vmHwmKb, kb(l));
            }
        }
        if (anon >= 0) {
            p.samples++;
        }
    }

    private static long kb(String line) {
        // "RssAnon:\t   12345 kB"
        String v = line.substring(line.indexOf(':') + 1).trim();
        int sp = v.indexOf(' ');
        return Long.parseLong(sp < 0 ? v : v.substring(0, sp));
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(5_000);
    }
}
