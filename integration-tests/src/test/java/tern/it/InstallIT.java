package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tern.common.json.JsonObjects;
import tern.lab.process.ChildProcess;
import tern.lab.process.Listening;

/**
 * The archive ./mvnw package leaves (docs/install.md), as a user installs it: unpacked into an
 * empty directory outside the source tree and run with nothing but the JDK (PATH /usr/bin:/bin,
 * JAVA_HOME, no TERN_ variable), a receiver and a sender migrate between two processes; the man
 * page lists the options --help lists; bash completion completes --mode; every jar in lib/ is
 * accounted for in NOTICE.
 */
class InstallIT extends ProcessTest {
    private static final Pattern HELP_OPTION = Pattern.compile("^\\s+(?:-\\w, )?(--[a-z][a-z0-9-]*)");
    private static final Pattern MAN_OPTION = Pattern.compile("\\\\fB((?:\\\\-){1,2}[a-z][a-z0-9\\\\-]*)\\\\fR");
    private static final Pattern JAR = Pattern.compile("(.+?)-\\d[^/]*\\.jar");

    private Path home;
    private Map<String, String> onlyTheJdk;

    @BeforeEach
    void unpack() throws Exception {
        Path archive = Path.of(System.getProperty("tern.archive", ""));
        assertTrue(Files.isRegularFile(archive), "no archive at " + archive + " (./mvnw package makes it)");
        Path into = Files.createDirectory(dir.resolve("opt"));
        ChildProcess tar = processes.start("tar", List.of("tar", "-xzf", archive.toString(), "-C", into.toString()));
        assertEquals(0, tar.awaitExit(), tar.outputs());
        try (Stream<Path> top = Files.list(into)) {
            List<Path> dirs = top.toList();
            assertEquals(1, dirs.size(), "one top directory: " + dirs);
            home = dirs.get(0);
        }
        onlyTheJdk = new HashMap<>();
        for (String v : List.of("TERN_JAVA", "TERN_JAVA_OPTS", "TERN_JAVA_EXTRA_OPTS", "TERN_BENCH_HOME", "CLASSPATH")) {
            onlyTheJdk.put(v, null);
        }
        onlyTheJdk.put("PATH", "/usr/bin:/bin");
        onlyTheJdk.put("JAVA_HOME", System.getProperty("java.home"));
    }

    /** {@code bin/TOOL ARGS} of the unpacked archive. */
    private ChildProcess start(String name, String tool, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin").resolve(tool).toString()));
        cmd.addAll(List.of(args));
        return start(name, cmd);
    }

    /** {@code command} in an empty directory, with only the JDK. */
    private ChildProcess start(String name, List<String> command) throws IOException {
        Path cwd = Files.createDirectories(dir.resolve("cwd"));
        return processes.start(name, cwd, command, onlyTheJdk, List.of());
    }

    @Test
    void theArchiveHoldsWhatItShipsAndNoticeNamesEveryJar() throws Exception {
        for (String f : List.of("bin/tern-launch", "bin/tern-sender", "bin/tern-receiver", "bin/tern-certs")) {
            assertTrue(Files.isExecutable(home.resolve(f)), f);
        }
        for (String f : List.of("LICENSE", "NOTICE", "README.md", "completion/tern-sender.bash",
                "completion/tern-receiver.bash", "man/man1/tern-sender.1", "man/man1/tern-receiver.1")) {
            assertTrue(Files.isRegularFile(home.resolve(f)), f);
        }
        assertTrue(Files.readString(home.resolve("LICENSE")).contains("Apache License"));
        String notice = Files.readString(home.resolve("NOTICE"));
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            for (Path jar : jars.toList()) {
                Matcher m = JAR.matcher(jar.getFileName().toString());
                assertTrue(m.matches(), "a versioned jar: " + jar);
                assertTrue(notice.contains(m.group(1)), "NOTICE does not account for lib/" + jar.getFileName());
            }
        }
        assertTrue(Files.notExists(home.resolve("lib/tern-lab.jar")), "the lab is not shipped");
    }

    @Test
    void migratesBetweenTwoProcessesWithOnlyTheJdk() throws Exception {
        Path image = dir.resolve("image.img");
        Path rxStats = dir.resolve("receiver.jsonl");
        Path txStats = dir.resolve("sender.jsonl");
        ChildProcess receiver = start("receiver", "tern-receiver", "--listen", "127.0.0.1:0", "--image", image.toString(),
                "--stats", rxStats.toString());
        Listening at = Listening.await(receiver, ChildProcess.TIMEOUT);
        ChildProcess sender = start("sender", "tern-sender", "--to", at.to(), "--workload", "uniform", "--memory", "4MiB",
                "--migration-id", "installed-1", "--stats", txStats.toString());
        assertEquals(0, sender.awaitExit(), processes.outputs());
        assertEquals(0, receiver.awaitExit(), processes.outputs());

        List<Map<String, Object>> tx = JsonObjects.readLines(txStats);
        Map<String, Object> summary = tx.get(tx.size() - 1);
        assertEquals(true, summary.get("verified"), tx.toString());
        List<Map<String, Object>> rx = JsonObjects.readLines(rxStats);
        assertEquals("accepted", rx.get(0).get("type"), rx.toString());
        Map<String, Object> verdict = rx.get(rx.size() - 1);
        assertEquals("verdict", verdict.get("type"), rx.toString());
        assertEquals(true, verdict.get("verified"), rx.toString());
        assertEquals(summary.get("root_digest"), verdict.get("root_digest"), "both sides' root");
        for (Map<String, Object> l : rx) {
            assertEquals("installed-1", l.get("migration_id"), "every receiver line names the sender's migration: " + l);
        }
        long stored = rx.stream().filter(l -> "iteration".equals(l.get("type"))).mapToLong(l -> (Long) l.get("pages_stored"))
                .sum();
        assertEquals(verdict.get("pages_stored"), stored, "the receiver's iterations add up to its verdict: " + rx);
        assertEquals(summary.get("pages_sent"), stored, "every page the sender sent, the receiver stored (no resume)");
        assertEquals(tx.size() - 1, rx.stream().filter(l -> "iteration".equals(l.get("type"))).count(),
                "one receiver line per sender iteration");
    }

    @Test
    void theManPageListsTheOptionsHelpLists() throws Exception {
        ChildProcess help = start("help", "tern-sender", "--help");
        assertEquals(0, help.awaitExit(), help.outputs());
        Set<String> helped = new TreeSet<>();
        for (String l : help.stdoutLines()) {
            Matcher m = HELP_OPTION.matcher(l);
            if (m.find()) {
                helped.add(m.group(1));
            }
        }
        assertTrue(helped.contains("--mode") && helped.contains("--progress"), helped.toString());
        Set<String> manned = new TreeSet<>();
        boolean inOptions = false;
        for (String l : Files.readAllLines(home.resolve("man/man1/tern-sender.1"))) {
            if (l.startsWith(".SH ")) {
                inOptions = l.equals(".SH \"OPTIONS\"");
            } else if (inOptions) {
                Matcher m = MAN_OPTION.matcher(l);
                while (m.find()) {
                    String name = m.group(1).replace("\\-", "-");
                    if (name.startsWith("--")) {
                        manned.add(name);
                    }
                }
            }
        }
        assertEquals(helped, manned, "tern-sender --help and man/man1/tern-sender.1");
    }

    @Test
    void bashCompletesTheModes() throws Exception {
        Path script = home.resolve("completion/tern-sender.bash");
        ChildProcess bash = start("bash", List.of("bash", "-c", "source '" + script + "'; COMP_WORDS=(tern-sender --mode '');"
                + " COMP_CWORD=2; COMP_LINE='tern-sender --mode '; COMP_POINT=${#COMP_LINE}; _picocli_tern-sender;"
                + " printf '%s\\n' \"${COMPREPLY[@]}\""));
        assertEquals(0, bash.awaitExit(), bash.outputs());
        assertTrue(bash.stdoutLines().containsAll(List.of("sync-clear", "reconcile", "digest")), bash.outputs());
    }
}
