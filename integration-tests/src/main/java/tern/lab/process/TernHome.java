package tern.lab.process;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The repository whose tools the lab and the integration tests run, as a user runs them: through
 * bin/, so that every process gets the launchers' JVM flags (JAVA_HOME, TERN_JAVA, TERN_JAVA_OPTS).
 */
public final class TernHome {
    private static final List<String> LAUNCHERS = List.of("bin/tern-launch", "bin/tern-sender", "bin/tern-receiver");
    private static final List<String> JARS = List.of("sender/target/tern-sender.jar", "receiver/target/tern-receiver.jar",
            "integration-tests/target/tern-lab.jar");

    private final Path root;

    private TernHome(Path root) {
        this.root = root;
    }

    /**
     * TERN_BENCH_HOME (bin/tern-bench sets it), else the system property tern.home (the
     * integration tests' failsafe sets it), else where this class was loaded from
     * (integration-tests/target/...); checked for the launchers and the jars, so that a run does
     * not fail after its set-up.
     */
    public static TernHome find() {
        String env = System.getenv("TERN_BENCH_HOME");
        String property = System.getProperty("tern.home");
        Path h;
        if (env != null && !env.isBlank()) {
            h = Path.of(env);
        } else if (property != null && !property.isBlank()) {
            h = Path.of(property);
        } else {
            try {
                // integration-tests/target/tern-lab.jar (or target/classes) -> the repository
                Path loaded = Path.of(TernHome.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                h = loaded.getParent().getParent().getParent();
            } catch (Exception e) {
                throw new IllegalStateException("cannot tell where the repository is: set TERN_BENCH_HOME", e);
            }
        }
        for (String t : LAUNCHERS) {
            if (!Files.isExecutable(h.resolve(t))) {
                throw new IllegalStateException(h.resolve(t) + " is missing or not executable (repository " + h + ")");
            }
        }
        for (String jar : JARS) {
            if (!Files.isRegularFile(h.resolve(jar))) {
                throw new IllegalStateException(h.resolve(jar) + " is missing; build first: (cd " + h
                        + " && ./mvnw -q package -DskipTests)");
            }
        }
        return new TernHome(h.toAbsolutePath().normalize());
    }

    public Path root() {
        return root;
    }

    /** One of the tools in bin/ ("tern-sender", "tern-receiver", "tern-trial", ...). */
    public List<String> tool(String name, String... args) {
        List<String> l = new ArrayList<>(List.of(root.resolve("bin").resolve(name).toString()));
        l.addAll(List.of(args));
        return l;
    }

    /** A main class of a module (sender, receiver, lab), through bin/tern-launch. */
    public List<String> launch(String module, String mainClass, String... args) {
        List<String> l = new ArrayList<>(List.of(root.resolve("bin/tern-launch").toString(), module, "--main", mainClass));
        l.addAll(List.of(args));
        return l;
    }
}
