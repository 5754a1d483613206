package tern.sender.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Stops and continues another process by signal (--pause-pid). Linux only: reads /proc/PID/stat.
 * A process found stopped at start-up was stopped by someone else: it is left stopped, since
 * continuing it after a failure would run what its owner had halted.
 */
public final class ProcessPauser {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private final long pid;
    private final boolean stoppedAtStart;

    /** Checks, before anything moves, that {@code pid} exists and that this process may signal it. */
    public ProcessPauser(long pid) {
        if (pid <= 1) {
            throw new IllegalArgumentException("--pause-pid " + pid + " is not a process to pause");
        }
        if (!Files.exists(statPath(pid))) {
            throw new IllegalArgumentException("--pause-pid " + pid + ": no such process");
        }
        this.pid = pid;
        try {
            signal("0"); // delivers nothing: only whether this process may signal it
            this.stoppedAtStart = allThreadsStopped();
        } catch (IOException e) {
            throw new IllegalArgumentException("--pause-pid " + pid + ": cannot signal it (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking --pause-pid " + pid, e);
        }
    }

    public long pid() {
        return pid;
    }

    /**
     * SIGSTOP, then waits until the kernel reports every thread of the process stopped: only then
     * can no store land. The process's own state is its main thread's, which may stop before a
     * writing thread does.
     */
    public void stop() throws IOException, InterruptedException {
        signal("STOP");
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        while (!allThreadsStopped()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("process " + pid + " did not stop within " + STOP_TIMEOUT.toSeconds() + " s of SIGSTOP");
            }
            // The kernel gives no event for "stopped" to a non-parent; polling /proc is the interface.
            Thread.sleep(1);
        }
    }

    /** SIGCONT, unless the process was found stopped at start-up. */
    public void cont() throws IOException, InterruptedException {
        if (!stoppedAtStart) {
            signal("CONT");
        }
    }

    /** SIGCONT to {@code pid}, however it came to be stopped (--resume-source pid:PID). */
    public static void continueProcess(long pid) throws IOException, InterruptedException {
        if (pid <= 1 || !Files.exists(statPath(pid))) {
            throw new IllegalArgumentException("--resume-source pid:" + pid + ": no such process");
        }
        signal(pid, "CONT");
    }

    public void kill() throws IOException, InterruptedException {
        signal("KILL");
    }

    /** "pid 4242 running", "pid 4242 stopped", "pid 4242 gone", from /proc. */
    public String runState() {
        return "pid " + pid + " " + describe(statPath(pid));
    }

    /** What the kernel says of a process: running (R, S, D, ...), stopped (T, t), or gone (Z, no such file). */
    public static String describe(Path stat) {
        try {
            char s = state(stat);
            return s == 'T' || s == 't' ? "stopped" : s == 'Z' || s == 'X' ? "gone" : "running";
        } catch (IOException e) {
            return "gone";
        }
    }

    boolean allThreadsStopped() throws IOException {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (var threads = Files.list(tasks)) {
            for (Path t : (Iterable<Path>) threads::iterator) {
                char s;
                try {
                    s = state(t.resolve("stat"));
                } catch (NoSuchFileException e) {
                    continue; // the thread exited meanwhile: it stores nothing
                }
                if (s != 'T' && s != 't') {
                    return false;
                }
            }
            return true;
        } catch (NoSuchFileException e) {
            throw new IOException("process " + pid + " is gone");
        }
    }

    /** The state letter of a stat file (R, S, D, T, Z, ...). */
    static char state(Path stat) throws IOException {
        String text = Files.readString(stat);
        // the command name may contain spaces and parentheses: the state follows the last ')'
        return text.charAt(text.lastIndexOf(')') + 2);
    }

    private void signal(String sig) throws IOException, InterruptedException {
        signal(pid, sig);
    }

    private static void signal(long pid, String sig) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IOException("kill -" + sig + " " + pid + " failed: " + out);
        }
    }

    private static Path statPath(long pid) {
        return Path.of("/proc", Long.toString(pid), "stat");
    }
}
