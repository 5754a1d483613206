package tern.lab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The processes tern-bench starts: their command lines (the repository's launchers, so that
 * every process gets the launchers' JVM flags), the ones still running (killed at clean-up,
 * also from the shutdown hook), and the waits on their lines and exits.
 */
final class BenchProcesses {
    private static final Pattern LISTENING = Pattern.compile("listening on [0-9.]+:(\\d+), image .*");

    private final Path home;
    private final Set<Child> live = ConcurrentHashMap.newKeySet();

    BenchProcesses(Path home) {
        this.home = home;
    }

    /**
     * The repository: TERN_BENCH_HOME (bin/tern-bench sets it), or where this class's jar lies,
     * checked for the launchers and both jars so that a run does not fail after its set-up.
     */
    static Path findHome() throws Exception {
        String env = System.getenv("TERN_BENCH_HOME");
        Path h;
        if (env != null && !env.isBlank()) {
            h = Path.of(env);
        } else {
            // integration-tests/target/tern-lab.jar -> the repository
            Path jar = Path.of(BenchProcesses.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            h = jar.getParent().getParent().getParent();
        }
        for (String t : List.of("bin/tern-launch", "bin/tern-sender", "bin/tern-receiver")) {
            if (!Files.isExecutable(h.resolve(t))) {
                throw new IllegalStateException(h.resolve(t) + " is missing or not executable (TERN_BENCH_HOME=" + env + ")");
            }
        }
        for (String jar : List.of("sender/target/tern-sender.jar", "receiver/target/tern-receiver.jar",
                "integration-tests/target/tern-lab.jar")) {
            if (!Files.isRegularFile(h.resolve(jar))) {
                throw new IllegalStateException(h.resolve(jar) + " is missing; build first:"
                        + " (cd " + h + " && ./mvnw -q package -DskipTests)");
            }
        }
        return h.toAbsolutePath().normalize();
    }

    /** A main class of a module (sender, receiver, lab), through bin/tern-launch. */
    List<String> launch(String module, String mainClass, String... args) {
        List<String> l = new ArrayList<>(List.of(home.resolve("bin/tern-launch").toString(), module, "--main", mainClass));
        l.addAll(List.of(args));
        return l;
    }

    /** One of the user tools in bin/ ("tern-sender", "tern-receiver"). */
    List<String> tool(String name, String... args) {
        List<String> l = new ArrayList<>(List.of(home.resolve("bin/" + name).toString()));
        l.addAll(List.of(args));
        return l;
    }

    Child start(String name, List<String> cmd, Path run, List<Child.Hook> hooks, boolean stdin) throws IOException {
        Child c = Child.start(name, cmd, run, hooks, stdin);
        live.add(c);
        return c;
    }

    /** As {@link #start(String, List, Path, List, boolean)}, with {@code env} added to the child's environment. */
    Child start(String name, List<String> cmd, Path run, List<Child.Hook> hooks, boolean stdin,
                java.util.Map<String, String> env) throws IOException {
        Child c = Child.start(name, cmd, run, hooks, stdin, env);
        live.add(c);
        return c;
    }

    void close(Child c) throws InterruptedException {
        live.remove(c);
        c.close();
    }

    /** Kills every process that still runs. */
    void closeAll() {
        for (Child c : live) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        live.clear();
    }

    /** The port of a server started on port 0, from its first line. */
    static int port(Child c) throws IOException, InterruptedException {
        String l = c.awaitLine(s -> s.startsWith("listening on "), "'listening on' line", 120_000);
        Matcher m = LISTENING.matcher(l);
        if (!m.matches()) {
            throw new IOException(c.name() + ": unexpected first line: " + l);
        }
        return Integer.parseInt(m.group(1));
    }

    static void expectExit(Child c, long timeout) throws IOException, InterruptedException {
        int code = c.awaitExit(timeout);
        if (code != 0) {
            throw new IOException(c.name() + " exited with " + code + c.tail());
        }
    }

    /** Generous: 5 minutes plus 5 MB/s. */
    static long timeoutMillis(long bytes) {
        return 300_000 + bytes / 5_000;
    }
}
