package tern.lab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the benchmark reads from /proc: a process's CPU time ({@code /proc/PID/stat}: utime,
 * stime, and cutime/cstime, the time of the children it has waited for) and its memory figures
 * ({@code /proc/PID/status}: VmRSS, VmHWM, RssAnon, RssFile, RssShmem). Parsing is apart from
 * reading so that it can be tested on fixed text.
 */
final class ProcFs {
    private ProcFs() {
    }

    /** CPU time in clock ticks (USER_HZ); the process's own threads, and its reaped children apart. */
    record CpuTicks(long user, long system, long childUser, long childSystem) {
        CpuTicks minus(CpuTicks o) {
            return new CpuTicks(user - o.user, system - o.system, childUser - o.childUser, childSystem - o.childSystem);
        }

        long total() {
            return user + system;
        }
    }

    /**
     * Parses one {@code /proc/PID/stat} line. The command name (field 2) is in parentheses and may
     * itself hold spaces and parentheses, so the fields are counted from the last ')'.
     */
    static CpuTicks parseStat(String line) {
        int close = line.lastIndexOf(')');
        if (close < 0 || close + 2 > line.length()) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: '" + abbreviate(line) + "'");
        }
        String[] f = line.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state), so field n is f[n - 3]: utime 14, stime 15, cutime 16, cstime 17.
        if (f.length < 15) {
            throw new IllegalArgumentException("a /proc/PID/stat line with " + (f.length + 2) + " fields: '"
                    + abbreviate(line) + "'");
        }
        return new CpuTicks(Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14]));
    }

    /** The process's CPU time now, or empty once it has exited (or is being reaped). */
    static Optional<CpuTicks> readStat(long pid) {
        try {
            return Optional.of(parseStat(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** One thread's name (its comm, at most 15 characters) and CPU time in ticks. */
    record ThreadTicks(String name, long user, long system) {
    }

    /** The command name of a {@code /proc/.../stat} line: between the first '(' and the last ')'. */
    static String parseComm(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        return open < 0 || close < open ? "?" : line.substring(open + 1, close);
    }

    /** Every thread of a process, by thread id (empty once it has exited). */
    static Map<Long, ThreadTicks> readThreads(long pid) {
        Map<Long, ThreadTicks> m = new HashMap<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (var s = Files.newDirectoryStream(tasks)) {
            for (Path t : s) {
                try {
                    String line = Files.readString(t.resolve("stat"));
                    CpuTicks c = parseStat(line);
                    m.put(Long.parseLong(t.getFileName().toString()), new ThreadTicks(parseComm(line), c.user(), c.system()));
                } catch (IOException | IllegalArgumentException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        return m;
    }

    /**
     * CPU ticks per kind of thread between two readings of {@link #readThreads}: threads are
     * grouped by {@link #kind} ("C2 CompilerThre", "grpc-nio-worker-ELG-#-#", "GC Thread#");
     * a thread that started in between counts from zero, one that ended in between is lost.
     */
    static Map<String, long[]> threadDelta(Map<Long, ThreadTicks> before, Map<Long, ThreadTicks> after) {
        Map<String, long[]> m = new java.util.TreeMap<>();
        for (Map.Entry<Long, ThreadTicks> e : after.entrySet()) {
            ThreadTicks a = e.getValue();
            ThreadTicks b = before.get(e.getKey());
            long u = a.user() - (b == null ? 0 : b.user());
            long sy = a.system() - (b == null ? 0 : b.system());
            if (u + sy == 0) {
                continue;
            }
            long[] sum = m.computeIfAbsent(kind(a.name()), k -> new long[2]);
            sum[0] += u;
            sum[1] += sy;
        }
        return m;
    }

    /**
     * A thread's kind: its name with numbers after a '-' or at the end replaced by '#'; the JVM's
     * main thread, which Linux names after the process ("java"), as "main (java)".
     */
    static String kind(String comm) {
        if (comm.equals("java")) {
            return "main (java)";
        }
        return comm.replaceAll("(?<=-)\\d+", "#").replaceAll("#?\\d+$", "#");
    }

    /**
     * The whole machine's CPU time in ticks, summed over cores, from the first line of
     * {@code /proc/stat}: user (with nice), system (with irq and softirq), idle, iowait and steal
     * (time the hypervisor ran something else while this machine wanted to run).
     */
    record MachineTicks(long user, long system, long idle, long iowait, long steal) {
        MachineTicks minus(MachineTicks o) {
            return new MachineTicks(user - o.user, system - o.system, idle - o.idle, iowait - o.iowait, steal - o.steal);
        }

        long all() {
            return user + system + idle + iowait + steal;
        }
    }

    /** Parses the "cpu  user nice system idle iowait irq softirq steal ..." line of /proc/stat. */
    static MachineTicks parseMachine(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            throw new IllegalArgumentException("not the cpu line of /proc/stat: '" + abbreviate(line) + "'");
        }
        long[] v = new long[8];
        for (int i = 0; i < 8; i++) {
            v[i] = Long.parseLong(f[i + 1]);
        }
        return new MachineTicks(v[0] + v[1], v[2] + v[5] + v[6], v[3], v[4], v[7]);
    }

    /** The machine's CPU time now, or zeros if /proc/stat cannot be read. */
    static MachineTicks machine() {
        try (var lines = Files.lines(Path.of("/proc/stat"))) {
            return parseMachine(lines.findFirst().orElse(""));
        } catch (IOException | IllegalArgumentException e) {
            return new MachineTicks(0, 0, 0, 0, 0);
        }
    }

    /** This process's CPU time, with the time of every child it has reaped in childUser/childSystem. */
    static CpuTicks self() {
        return readStat(ProcessHandle.current().pid())
                .orElseThrow(() -> new IllegalStateException("/proc/self/stat is not readable: Linux only"));
    }

    /** The "Key:   123 kB" lines of {@code /proc/PID/status}, in bytes; other lines are left out. */
    static Map<String, Long> parseStatusBytes(List<String> lines) {
        Map<String, Long> m = new HashMap<>();
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon <= 0 || !l.endsWith(" kB")) {
                continue;
            }
            String v = l.substring(colon + 1, l.length() - 3).trim();
            try {
                m.put(l.substring(0, colon), Long.parseLong(v) * 1024);
            } catch (NumberFormatException e) {
                // not a single number: not one of ours
            }
        }
        return m;
    }

    /** The memory lines of {@code /proc/PID/status} in bytes, or empty once the process has exited. */
    static Optional<Map<String, Long>> readStatus(long pid) {
        try {
            return Optional.of(parseStatusBytes(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The value of {@code key} in {@code /proc/cpuinfo} or {@code /proc/meminfo}-like text, first occurrence. */
    static String field(List<String> lines, String key) {
        for (String l : lines) {
            int colon = l.indexOf(':');
            if (colon > 0 && l.substring(0, colon).trim().equals(key)) {
                return l.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** MemAvailable from /proc/meminfo in bytes, or -1 when it cannot be read. */
    static long memAvailable() {
        return meminfoBytes("MemAvailable");
    }

    /** A "Key:   123 kB" line of /proc/meminfo in bytes, or -1 when it cannot be read. */
    static long meminfoBytes(String key) {
        try {
            String v = field(Files.readAllLines(Path.of("/proc/meminfo")), key);
            return v == null ? -1 : Long.parseLong(v.replace("kB", "").trim()) * 1024;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s.strip() : s.substring(0, 80) + "...";
    }
}
