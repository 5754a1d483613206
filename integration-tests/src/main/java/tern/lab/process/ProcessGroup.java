package tern.lab.process;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The processes one test, trial or benchmark started, in one directory unless told otherwise;
 * closing the group (also from a shutdown hook: it is thread-safe) ends every one still running.
 */
public final class ProcessGroup implements AutoCloseable {
    /** A receiver started on port 0 and what its first line said. */
    public record Receiver(ChildProcess process, Listening listening) {
        public int port() {
            return listening.port();
        }

        /** 127.0.0.1:PORT, for --to. */
        public String to() {
            return listening.to();
        }
    }

    private final TernHome home;
    private final Path dir;
    private final List<ChildProcess> started = new ArrayList<>();

    public ProcessGroup(TernHome home, Path dir) {
        this.home = home;
        this.dir = dir;
    }

    public TernHome home() {
        return home;
    }

    /** {@code bin/TOOL ARGS} of the repository. */
    public List<String> tool(String tool, String... args) {
        return home.tool(tool, args);
    }

    public ChildProcess start(String name, List<String> command) throws IOException {
        return start(name, dir, command, Map.of(), List.of());
    }

    /** As {@link ChildProcess#start(String, Path, List, Map, List)}, kept in this group. */
    public ChildProcess start(String name, Path in, List<String> command, Map<String, String> environment,
                              List<ChildProcess.Hook> hooks) throws IOException {
        ChildProcess p = ChildProcess.start(name, in, command, environment, hooks);
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    /** Runs {@code bin/TOOL ARGS} to its end. */
    public ChildProcess run(String name, String tool, String... args) throws IOException, InterruptedException {
        ChildProcess p = start(name, tool(tool, args));
        p.awaitExit();
        return p;
    }

    /** Starts {@code bin/tern-receiver ARGS} (which should listen on port 0) and awaits its listening line. */
    public Receiver startReceiver(String name, String... args) throws IOException, InterruptedException {
        return startReceiver(name, Map.of(), args);
    }

    /** As {@link #startReceiver(String, String...)}, with {@code environment} added (TERN_JAVA_OPTS, say). */
    public Receiver startReceiver(String name, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        ChildProcess p = start(name, dir, tool("tern-receiver", args), environment, List.of());
        return new Receiver(p, Listening.await(p, ChildProcess.TIMEOUT));
    }

    /** Ends {@code p} (if it runs) and forgets it. */
    public void close(ChildProcess p) throws InterruptedException {
        synchronized (started) {
            started.remove(p);
        }
        p.close();
    }

    /** Every process's output so far, for an assertion's message. */
    public String outputs() {
        StringBuilder b = new StringBuilder("\n");
        for (ChildProcess p : snapshot()) {
            b.append(p.outputs());
        }
        return b.toString();
    }

    @Override
    public void close() throws InterruptedException {
        for (ChildProcess p : snapshot()) {
            p.close();
        }
        synchronized (started) {
            started.clear();
        }
    }

    private List<ChildProcess> snapshot() {
        synchronized (started) {
            return List.copyOf(started);
        }
    }
}
