package tern.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child process for the integration tests: stdout and stderr are pumped line by line into
 * {@code NAME.out} and {@code NAME.err} in a directory, and can be awaited line by line (no
 * sleeps: a waiter is woken by the pump). {@link #close()} kills it if it still runs.
 */
public final class ItProcess implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    private final String name;
    private final Process process;
    private final Path outFile;
    private final Path errFile;
    private final Pump out;
    private final Pump err;

    private ItProcess(String name, Process process, Path dir) throws IOException {
        this.name = name;
        this.process = process;
        this.outFile = dir.resolve(name + ".out");
        this.errFile = dir.resolve(name + ".err");
        this.out = new Pump(process.getInputStream(), outFile, name + "-stdout");
        this.err = new Pump(process.getErrorStream(), errFile, name + "-stderr");
    }

    /** Starts {@code command}; its output goes to {@code dir/NAME.out} and {@code dir/NAME.err}. */
    static ItProcess start(String name, Path dir, List<String> command) throws IOException {
        return start(name, dir, command, Map.of());
    }

    /** As {@link #start(String, Path, List)}, with {@code environment} set on top of this process's (null: unset). */
    public static ItProcess start(String name, Path dir, List<String> command, Map<String, String> environment)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.directory(dir.toFile());
        environment.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return new ItProcess(name, pb.start(), dir);
    }

    /** bin/tern-sender or bin/tern-receiver of the repository under test ({@code tern.home}). */
    public static List<String> launcher(String tool, String... args) {
        String home = System.getProperty("tern.home");
        if (home == null || home.isBlank()) {
            fail("system property tern.home (the repository root) is not set");
        }
        Path bin = Path.of(home, "bin", tool);
        if (!Files.isExecutable(bin)) {
            fail(bin + " is missing or not executable");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(bin.toString());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** A JVM running {@code mainClass} from this module's test classes. */
    static List<String> javaMain(Class<?> mainClass, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp;
        try {
            cp = Path.of(mainClass.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            cp = System.getProperty("java.class.path");
        }
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", cp, mainClass.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    public long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the first stdout line matching {@code p}; fails (with both outputs) on exit or timeout. */
    public String awaitStdoutLine(Predicate<String> p, Duration timeout) throws InterruptedException {
        String line = out.await(p, timeout);
        if (line == null) {
            fail(name + " printed no expected line within " + timeout.toSeconds() + " s (alive: "
                    + process.isAlive() + ")\n" + outputs());
        }
        return line;
    }

    /** Waits for the first stderr line matching {@code p}; fails (with both outputs) on exit or timeout. */
    public String awaitStderrLine(Predicate<String> p, Duration timeout) throws InterruptedException {
        String line = err.await(p, timeout);
        if (line == null) {
            fail(name + " printed no expected line on stderr within " + timeout.toSeconds() + " s (alive: "
                    + process.isAlive() + ")\n" + outputs());
        }
        return line;
    }

    /** Waits for exit (failing on timeout) and for the output pumps to drain; returns the exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            out.join(5_000);
            err.join(5_000);
            fail(name + " did not exit within " + timeout.toSeconds() + " s; killed\n" + outputs());
        }
        out.join(TIMEOUT.toMillis());
        err.join(TIMEOUT.toMillis());
        return process.exitValue();
    }

    int awaitExit() throws InterruptedException {
        return awaitExit(TIMEOUT);
    }

    List<String> stdoutLines() {
        return out.lines();
    }

    List<String> stderrLines() {
        return err.lines();
    }

    String stdout() {
        return String.join("\n", out.lines());
    }

    String stderr() {
        return String.join("\n", err.lines());
    }

    /** Both outputs, labelled with the files that hold them, for assertion messages. */
    public String outputs() {
        return "--- " + outFile + " ---\n" + stdout() + "\n--- " + errFile + " ---\n" + stderr() + "\n";
    }

    /** Kills the process (SIGKILL: also ends a stopped one) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        OutputStream stdin = process.getOutputStream();
        try {
            stdin.close();
        } catch (IOException e) {
            // already gone
        }
        out.join(10_000);
        err.join(10_000);
    }

    /** Copies one stream to a file and keeps its lines for waiters. */
    private static final class Pump extends Thread {
        private final InputStream in;
        private final Path file;
        private final List<String> lines = new ArrayList<>();
        private boolean ended;

        Pump(InputStream in, Path file, String threadName) {
            super(threadName);
            this.in = in;
            this.file = file;
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                 var w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    w.write(line);
                    w.newLine();
                    w.flush();
                    synchronized (this) {
                        lines.add(line);
                        notifyAll();
                    }
                }
            } catch (IOException e) {
                synchronized (this) {
                    lines.add("[pump: " + e + "]");
                }
            } finally {
                synchronized (this) {
                    ended = true;
                    notifyAll();
                }
            }
        }

        synchronized String await(Predicate<String> p, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int seen = 0;
            while (true) {
                for (; seen < lines.size(); seen++) {
                    if (p.test(lines.get(seen))) {
                        return lines.get(seen);
                    }
                }
                long left = deadline - System.nanoTime();
                if (ended || left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }
    }

    /** Deletes a directory tree (test files under /dev/shm and large temporary images). */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
