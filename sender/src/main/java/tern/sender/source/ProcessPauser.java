package tern.sender.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;

/** Stops and continues another process by signal (--pause-pid). Linux only: reads /proc/PID/stat. */
public final class ProcessPauser {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private final long pid;

    public ProcessPauser(long pid) {
        if (pid <= 1) {
            throw new IllegalArgumentException("--pause-pid " + pid + " is not a process to pause");
        }
        if (!Files.exists(statPath(pid))) {
            throw new IllegalArgumentException("--pause-pid " + pid + ": no such process");
        }
        this.pid = pid;
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

    public void cont() throws IOException, InterruptedException {
        signal("CONT");
    }

    public void kill() throws IOException, InterruptedException {
        signal("KILL");
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
