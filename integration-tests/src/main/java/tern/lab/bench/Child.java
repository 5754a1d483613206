package tern.lab.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A process the benchmark started: its stdout is pumped line by line into {@code NAME.out} (and
 * can be awaited line by line), its stderr goes to {@code NAME.err}. A hook runs on the pump
 * thread as soon as its line is read, before anyone awaiting the line is woken: that is how CPU
 * time is sampled at a run's marks without a waiter's delay.
 */
final class Child implements AutoCloseable {
    /** Runs {@code action} with the first line that {@code matches}. */
    record Hook(Predicate<String> matches, Consumer<String> action) {
    }

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;
    private final List<Hook> hooks;
    private final boolean[] fired;
    private final List<String> lines = new ArrayList<>();
    private final Thread pump;
    private final Writer stdin;
    private int cursor;
    private boolean ended;

    private Child(String name, Process process, Path dir, List<Hook> hooks, boolean withStdin) {
        this.name = name;
        this.process = process;
        this.out = dir.resolve(name + ".out");
        this.err = dir.resolve(name + ".err");
        this.hooks = List.copyOf(hooks);
        this.fired = new boolean[hooks.size()];
        this.stdin = withStdin ? new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) : null;
        this.pump = new Thread(this::pump, "tern-bench-" + name + "-stdout");
        this.pump.setDaemon(true);
        this.pump.start();
    }

    /** Starts {@code command} in {@code dir}; stdin is /dev/null unless {@code withStdin}. */
    static Child start(String name, List<String> command, Path dir, List<Hook> hooks, boolean withStdin) throws IOException {
        return start(name, command, dir, hooks, withStdin, java.util.Map.of());
    }

    /**
     * Starts {@code command} in {@code dir} with {@code env} added to this process's environment;
     * stdin is /dev/null unless {@code withStdin}.
     */
    static Child start(String name, List<String> command, Path dir, List<Hook> hooks, boolean withStdin,
                       java.util.Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        pb.redirectError(dir.resolve(name + ".err").toFile());
        if (!withStdin) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        return new Child(name, pb.start(), dir, hooks, withStdin);
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
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
            // the process went away: ended below
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /**
     * The next line (after those already taken) that {@code matches}; lines before it are passed
     * over. Fails if stdout ends or {@code timeoutMillis} pass first.
     */
    String awaitLine(Predicate<String> matches, String what, long timeoutMillis) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (this) {
            while (true) {
                while (cursor < lines.size()) {
                    String l = lines.get(cursor++);
                    if (matches.test(l)) {
                        return l;
                    }
                }
                if (ended) {
                    throw new IOException(name + " ended its output without " + what + tail());
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException(name + " printed no " + what + " within " + timeoutMillis / 1000 + " s" + tail());
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /** Writes one line to the process's stdin. */
    void send(String line) throws IOException {
        stdin.write(line);
        stdin.write('\n');
        stdin.flush();
    }

    /** Waits for the exit and the end of the output; fails after {@code timeoutMillis}. */
    int awaitExit(long timeoutMillis) throws IOException, InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            throw new IOException(name + " did not exit within " + timeoutMillis / 1000 + " s" + tail());
        }
        pump.join(10_000);
        return process.exitValue();
    }

    /** The last lines of stdout and stderr, for an error message. */
    String tail() {
        StringBuilder b = new StringBuilder();
        for (Path p : List.of(out, err)) {
            try {
                if (Files.exists(p)) {
                    List<String> all = Files.readAllLines(p, StandardCharsets.UTF_8);
                    List<String> last = all.subList(Math.max(0, all.size() - 8), all.size());
                    if (!last.isEmpty()) {
                        b.append("\n  --- ").append(p).append(" (last lines) ---");
                        for (String l : last) {
                            b.append("\n  ").append(l);
                        }
                    }
                }
            } catch (IOException e) {
                b.append("\n  (").append(p).append(" unreadable: ").append(e.getMessage()).append(')');
            }
        }
        return b.toString();
    }

    /** Kills the process if it still runs (by its own handle: only what this benchmark started). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        if (stdin != null) {
            try {
                stdin.close();
            } catch (IOException e) {
                // the process is gone
            }
        }
    }
}
