package tern.lab.process;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A process the lab or a test started: stdout and stderr are pumped line by line into
 * {@code NAME.out} and {@code NAME.err} in its directory and kept, so a line can be awaited
 * (a waiter is woken by the pump: no sleeps). A {@link Hook} runs on the stdout pump as soon as
 * its line is read, before anyone awaiting the line is woken: that is how the benchmark samples
 * CPU time at a run's marks without a waiter's delay. {@link #close()} kills what still runs.
 */
public final class ChildProcess implements AutoCloseable {
    /** How long the tests wait for a line or an exit unless told otherwise. */
    public static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** Runs {@code action} with the first stdout line that {@code matches}. */
    public record Hook(Predicate<String> matches, Consumer<String> action) {
    }

    private final String name;
    private final Process process;
    private final Pump out;
    private final Pump err;
    private final Writer stdin;

    private ChildProcess(String name, Process process, Path dir, List<Hook> hooks) {
        this.name = name;
        this.process = process;
        this.stdin = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.out = new Pump(process.getInputStream(), dir.resolve(name + ".out"), name + "-stdout", hooks);
        this.err = new Pump(process.getErrorStream(), dir.resolve(name + ".err"), name + "-stderr", List.of());
    }

    /** Starts {@code command} in {@code dir}. */
    public static ChildProcess start(String name, Path dir, List<String> command) throws IOException {
        return start(name, dir, command, Map.of(), List.of());
    }

    /**
     * Starts {@code command} in {@code dir} with {@code environment} set on top of this process's
     * (a null value unsets) and {@code hooks} on its stdout. Its stdin is a pipe from this process
     * ({@link #send}), so a child that watches stdin for its end (PageWriterProcess) ends with it.
     */
    public static ChildProcess start(String name, Path dir, List<String> command, Map<String, String> environment,
                                     List<Hook> hooks) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        environment.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        return new ChildProcess(name, pb.start(), dir, hooks);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The first stdout line that {@code matches}; fails if stdout ends or {@code timeout} passes first. */
    public String awaitStdoutLine(Predicate<String> matches, Duration timeout) throws IOException, InterruptedException {
        return awaitStdoutLine(0, matches, timeout);
    }

    /** As {@link #awaitStdoutLine(Predicate, Duration)}, among the lines from index {@code from} on. */
    public String awaitStdoutLine(int from, Predicate<String> matches, Duration timeout)
            throws IOException, InterruptedException {
        return await(out, "", from, matches, timeout);
    }

    /** As {@link #awaitStdoutLine}, on stderr. */
    public String awaitStderrLine(Predicate<String> matches, Duration timeout) throws IOException, InterruptedException {
        return await(err, " on stderr", 0, matches, timeout);
    }

    /**
     * Sends signal {@code name} ("TERM", "INT", "HUP", "STOP", "CONT") to the process, with
     * kill(1): the JDK signals only TERM and KILL.
     */
    public void signal(String name) throws IOException, InterruptedException {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
        String said = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (k.waitFor() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " (" + this.name + ") failed: " + said);
        }
    }

    private String await(Pump p, String where, int from, Predicate<String> matches, Duration timeout)
            throws IOException, InterruptedException {
        String line = p.await(from, matches, timeout);
        if (line == null) {
            throw new IOException(name + " printed no expected line" + where + " within " + timeout.toSeconds() + " s (alive: "
                    + process.isAlive() + ")\n" + outputs());
        }
        return line;
    }

    /** Writes one line to the process's stdin. */
    public void send(String line) throws IOException {
        stdin.write(line);
        stdin.write('\n');
        stdin.flush();
    }

    /** Waits for the exit and the end of both outputs; kills the process and fails after {@code timeout}. */
    public int awaitExit(Duration timeout) throws IOException, InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            String threads = threadDump();
            close();
            throw new IOException(name + " did not exit within " + timeout.toSeconds() + " s; killed\n" + outputs()
                    + threads);
        }
        out.join(TIMEOUT.toMillis());
        err.join(TIMEOUT.toMillis());
        return process.exitValue();
    }

    /** A hung JVM's threads (jcmd Thread.print, written to a file beside its outputs), or "" when it is none. */
    private String threadDump() {
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Path dump = out.file.resolveSibling(name + ".threads");
            Process j = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
                    .redirectErrorStream(true).redirectOutput(dump.toFile()).start();
            if (!j.waitFor(30, TimeUnit.SECONDS)) {
                j.destroyForcibly();
            }
            return "--- " + dump + " ---\n" + Files.readString(dump);
        } catch (IOException | InterruptedException e) {
            return "(no thread dump: " + e + ")\n";
        }
    }

    /** {@link #awaitExit(Duration)} with {@link #TIMEOUT}. */
    public int awaitExit() throws IOException, InterruptedException {
        return awaitExit(TIMEOUT);
    }

    /** Waits for the exit, as {@link #awaitExit(Duration)}, and fails unless it exited 0. */
    public void awaitSuccess(Duration timeout) throws IOException, InterruptedException {
        int code = awaitExit(timeout);
        if (code != 0) {
            throw new IOException(name + " exited with " + code + tail());
        }
    }

    public List<String> stdoutLines() {
        return out.lines();
    }

    public List<String> stderrLines() {
        return err.lines();
    }

    public String stdout() {
        return String.join("\n", out.lines());
    }

    public String stderr() {
        return String.join("\n", err.lines());
    }

    /** Both outputs, labelled with the files that hold them, for assertion messages. */
    public String outputs() {
        return "--- " + out.file + " ---\n" + stdout() + "\n--- " + err.file + " ---\n" + stderr() + "\n";
    }

    /** The last lines of both outputs, for an error message of a long run. */
    public String tail() {
        StringBuilder b = new StringBuilder();
        for (Pump p : List.of(out, err)) {
            List<String> all = p.lines();
            List<String> last = all.subList(Math.max(0, all.size() - 8), all.size());
            if (!last.isEmpty()) {
                b.append("\n  --- ").append(p.file).append(" (last lines) ---");
                last.forEach(l -> b.append("\n  ").append(l));
            }
        }
        return b.toString();
    }

    /** Kills the process if it still runs (SIGKILL, by its own handle: it also ends a stopped one) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        try {
            stdin.close();
        } catch (IOException e) {
            // the process is gone
        }
        out.join(10_000);
        err.join(10_000);
    }

    /** Copies one stream to a file and keeps its lines for waiters; runs the hooks first on each line. */
    private static final class Pump extends Thread {
        private final InputStream in;
        private final Path file;
        private final List<Hook> hooks;
        private final boolean[] fired;
        private final List<String> lines = new ArrayList<>();
        private boolean ended;

        Pump(InputStream in, Path file, String threadName, List<Hook> hooks) {
            super(threadName);
            this.in = in;
            this.file = file;
            this.hooks = List.copyOf(hooks);
            this.fired = new boolean[hooks.size()];
            setDaemon(true);
            start();
        }

        @Override
        public void run() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                 BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    for (int i = 0; i < hooks.size(); i++) {
                        if (!fired[i] && hooks.get(i).matches().test(line)) {
                            fired[i] = true;
                            hooks.get(i).action().accept(line);
                        }
                    }
                    synchronized (this) {
                        lines.add(line);
                        notifyAll();
                    }
                    w.write(line);
                    w.newLine();
                    w.flush();
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

        /** The first line from index {@code from} that {@code p} matches, or null once the stream ended or {@code timeout} passed. */
        synchronized String await(int from, Predicate<String> p, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            int seen = from;
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
}
