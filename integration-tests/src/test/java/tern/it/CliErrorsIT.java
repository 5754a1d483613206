package tern.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tern.common.log.Log;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/** The tools' exit codes and messages: 0 verified, 1 failed migration, 2 bad usage; one clear line; traces only with --verbose. */
class CliErrorsIT extends ProcessTest {
    private static int exit(ChildProcess p) throws Exception {
        return p.awaitExit(); // already exited: returns at once
    }

    private static void assertOneLine(ChildProcess p, String what) {
        List<String> err = p.stderrLines();
        assertEquals(1, err.size(), what + ": exactly one line on stderr expected\n" + p.outputs());
    }

    private static void assertNoStackTrace(ChildProcess p) {
        for (String l : p.stderrLines()) {
            assertFalse(l.startsWith("\tat "), "stack trace without --verbose\n" + p.outputs());
        }
        for (String l : p.stdoutLines()) {
            assertFalse(l.startsWith("\tat "), "stack trace on stdout without --verbose\n" + p.outputs());
        }
    }

    @Test
    void a_unknownModeIsBadUsageNamingTheOption() throws Exception {
        ChildProcess p = processes.run("sender", "tern-sender", "--to", "127.0.0.1:1", "--workload", "idle", "--memory", "1MiB",
                "--mode", "bogus");
        assertEquals(2, exit(p), p.outputs());
        assertOneLine(p, "--mode bogus");
        String stamped = p.stderrLines().get(0);
        assertTrue(stamped.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z .*"),
                "the line starts with its time, ISO-8601 UTC in ms\n" + p.outputs());
        String line = Log.untimed(stamped);
        assertTrue(line.startsWith("tern-sender: "), p.outputs());
        assertTrue(line.toLowerCase(Locale.ROOT).contains("mode") && line.contains("bogus"),
                "the line should name the option and the value\n" + p.outputs());
        assertNoStackTrace(p);
    }

    @Test
    void b_h_unreachableReceiverFailsWithAClearLineAndNoTrace() throws Exception {
        ChildProcess p = processes.run("sender", "tern-sender", "--to", "127.0.0.1:1", "--workload", "idle", "--memory", "1MiB");
        assertEquals(1, exit(p), p.outputs());
        String err = p.stderr();
        assertTrue(err.contains("cannot reach receiver 127.0.0.1:1: connection refused"), "clear reason expected\n" + p.outputs());
        assertOneLine(p, "unreachable receiver");
        assertNoStackTrace(p); // (h)

        ChildProcess v = processes.run("sender-verbose", "tern-sender", "--to", "127.0.0.1:1", "--workload", "idle", "--memory", "1MiB",
                "--verbose");
        assertEquals(1, exit(v), v.outputs());
        assertTrue(v.stderrLines().stream().anyMatch(l -> l.startsWith("\tat ")),
                "--verbose should print the stack trace\n" + v.outputs());
        assertTrue(v.stderr().contains("cannot reach receiver 127.0.0.1:1: connection refused"), v.outputs());
    }

    /** A size that could mean two things is refused, naming the option, before anything starts. */
    @Test
    void a2_anAmbiguousSizeIsBadUsageNamingTheOption() throws Exception {
        for (String[] bad : new String[][] {{"--memory", "256mb"}, {"--bandwidth", "10m"}, {"--xbzrle-cache", "64K"}}) {
            ChildProcess p = processes.run("sender" + bad[0], "tern-sender", "--to", "127.0.0.1:1", "--workload", "idle",
                    bad[0], bad[1]);
            assertEquals(2, exit(p), p.outputs());
            assertOneLine(p, bad[0] + " " + bad[1]);
            assertTrue(p.stderr().contains("'" + bad[0] + "'") && p.stderr().contains("ambiguous"), p.outputs());
        }
        ChildProcess r = processes.run("receiver-max-image", "tern-receiver", "--listen", "127.0.0.1:0", "--image",
                dir.resolve("i.img").toString(), "--max-image", "1G");
        assertEquals(2, exit(r), r.outputs());
        assertTrue(r.stderr().contains("'--max-image'") && r.stderr().contains("ambiguous"), r.outputs());
    }

    /** An unwritable --stats path is bad usage on both sides, before the source starts or the receiver listens. */
    @Test
    void a3_anUnwritableStatsPathIsBadUsage() throws Exception {
        String nowhere = dir.resolve("no-such-dir/stats.jsonl").toString();
        ChildProcess s = processes.run("sender-stats", "tern-sender", "--to", "127.0.0.1:1", "--workload", "idle",
                "--memory", "1MiB", "--stats", nowhere);
        assertEquals(2, exit(s), s.outputs());
        assertOneLine(s, "--stats " + nowhere);
        assertTrue(s.stderr().contains("--stats " + nowhere), s.outputs());
        ChildProcess r = processes.run("receiver-stats", "tern-receiver", "--listen", "127.0.0.1:0", "--image",
                dir.resolve("i.img").toString(), "--stats", nowhere);
        assertEquals(2, exit(r), r.outputs());
        assertTrue(r.stderr().contains("--stats " + nowhere), r.outputs());
        assertFalse(r.stdout().contains("listening on"), "refused before listening\n" + r.outputs());
    }

    @Test
    void c_receiverRefusesAnExistingImageWithoutOverwrite() throws Exception {
        Path image = dir.resolve("image.ram");
        byte[] content = "precious bytes that must survive\n".getBytes();
        Files.write(image, content);
        ChildProcess p = processes.run("receiver", "tern-receiver", "--listen", "127.0.0.1:0", "--image", image.toString());
        assertEquals(2, exit(p), p.outputs());
        assertOneLine(p, "existing image");
        assertTrue(p.stderr().contains("--overwrite"), "should point at --overwrite\n" + p.outputs());
        assertFalse(p.stdout().contains("listening on"), "should not have served\n" + p.outputs());
        assertArrayEquals(content, Files.readAllBytes(image), "the existing image was changed");
        assertNoStackTrace(p);
    }

    @Test
    void d_receiverWithABadListenAddressIsBadUsage() throws Exception {
        ChildProcess p = processes.run("receiver", "tern-receiver", "--listen", "nonsense", "--image", dir.resolve("i.ram").toString());
        assertEquals(2, exit(p), p.outputs());
        assertTrue(p.stderr().contains("--listen") || p.stderr().contains("nonsense"),
                "should name the bad option or value\n" + p.outputs());
        assertFalse(Files.exists(dir.resolve("i.ram")), "no image should be created");
        assertNoStackTrace(p);
    }

    @Test
    void e_missingSourceFileIsBadUsage() throws Exception {
        ChildProcess p = processes.run("sender", "tern-sender", "--to", "127.0.0.1:1", "--source", "file:/nonexistent");
        assertEquals(2, exit(p), p.outputs());
        assertOneLine(p, "--source file:/nonexistent");
        assertTrue(p.stderr().contains("/nonexistent"), "should name the path\n" + p.outputs());
        assertNoStackTrace(p);
    }

    @Test
    void f_fileSourceTakesOnlyDigestMode() throws Exception {
        Path file = dir.resolve("source.ram");
        Files.write(file, new byte[8192]);
        ChildProcess p = processes.run("sender", "tern-sender", "--to", "127.0.0.1:1", "--source", "file:" + file,
                "--mode", "sync-clear");
        assertEquals(2, exit(p), p.outputs());
        assertOneLine(p, "--source file: --mode sync-clear");
        assertTrue(p.stderr().contains("digest"), "should say only digest mode applies\n" + p.outputs());
        assertNoStackTrace(p);
    }

    @Test
    void g_receiverRefusesATooLargeImageAndBothEndCleanly() throws Exception {
        Path image = dir.resolve("image.ram");
        ProcessGroup.Receiver started = processes.startReceiver("receiver",
                "--listen", "127.0.0.1:0", "--image", image.toString(), "--max-image", "512KiB");
        ChildProcess receiver = started.process();

        ChildProcess sender = processes.run("sender", "tern-sender", "--to", started.to(),
                "--workload", "uniform", "--memory", "1MiB");
        int senderExit = exit(sender);
        int receiverExit = receiver.awaitExit();
        String both = sender.outputs() + receiver.outputs();
        assertEquals(1, senderExit, "sender exit code\n" + both);
        assertTrue(sender.stderr().contains("hello.page_count"), "sender should name the refused field\n" + both);
        assertOneLine(sender, "refused migration");
        assertEquals(1, receiverExit, "receiver exit code (a failed migration, not a crash)\n" + both);
        assertTrue(receiver.stderr().contains("hello.page_count"), "receiver should name the field\n" + both);
        assertNoStackTrace(sender);
        assertNoStackTrace(receiver);
        assertTrue(!Files.exists(image) || Files.size(image) == 0, "a refused migration must not write the image\n" + both);
    }

    /** A usage error naming {@code option}, on one line, without a stack trace: exit 2. */
    private static String usageError(ChildProcess p, String option) throws Exception {
        assertEquals(2, exit(p), p.outputs());
        assertOneLine(p, option);
        assertNoStackTrace(p);
        String line = p.stderrLines().get(0);
        assertTrue(line.contains(option), "should name " + option + "\n" + p.outputs());
        return line;
    }

    /**
     * Careless input found at start-up, before anything connects or is paused: against a live
     * receiver, which sees no migration, and a writer given to --pause-pid, which is never stopped.
     */
    @Test
    void i_carelessInputIsBadUsageBeforeAnythingMoves() throws Exception {
        Path image = dir.resolve("image.ram");
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver", "--listen", "127.0.0.1:0", "--image",
                image.toString());
        Path source = dir.resolve("source.ram");
        Files.write(source, new byte[64 * 4096]);
        List<String> toFile = List.of("--to", receiver.to(), "--source", "file:" + source);

        String stats = usageError(processes.run("stats-missing-dir", "tern-sender", args(toFile, "--stats",
                dir.resolve("missing/stats.jsonl").toString())), "--stats");
        assertTrue(stats.contains("no directory"), stats);

        Path odd = dir.resolve("odd.ram");
        Files.write(odd, new byte[1000]);
        String size = usageError(processes.run("odd-size", "tern-sender", "--to", receiver.to(), "--source", "file:" + odd),
                "--page-size");
        assertTrue(size.contains("1000 bytes"), size);

        String qmp = usageError(processes.run("qmp-not-a-socket", "tern-sender", "--to", receiver.to(), "--source",
                "qemu:" + source + ",qmp=" + source), "qmp=");
        assertTrue(qmp.contains("not a unix socket"), qmp);

        // what the in-process workload allocates, against the direct memory this JVM may use
        ChildProcess big = processes.start("memory-over-direct", dir, processes.tool("tern-sender", "--to", receiver.to(),
                "--workload", "uniform", "--memory", "256MiB"), Map.of("TERN_JAVA_EXTRA_OPTS", "-XX:MaxDirectMemorySize=64m"),
                List.of());
        big.awaitExit();
        String direct = usageError(big, "--memory");
        assertTrue(direct.contains("need") && direct.contains("direct memory") && direct.contains("MaxDirectMemorySize"),
                direct);
        String machine = usageError(processes.run("memory-over-machine", "tern-sender", "--to", receiver.to(), "--workload",
                "uniform", "--memory", "4TiB"), "--memory");
        assertTrue(machine.contains("this machine has"), machine);

        // tern-trial's allocations and paths, checked the same way
        usageError(processes.run("trial-memory", "tern-trial", "--workload", "uniform", "--memory", "4TiB", "--out",
                dir.resolve("trial").toString()), "--memory");
        usageError(processes.run("trial-trace", "tern-trial", "--workload", "uniform", "--memory", "1MiB", "--out",
                dir.resolve("trial").toString(), "--record-trace", dir.resolve("missing/trace").toString()), "--record-trace");

        assertTrue(receiver.process().isAlive(), receiver.process().outputs());
        assertFalse(receiver.process().stdout().contains("migration "), "nothing reached the receiver"
                + receiver.process().outputs());
        assertFalse(Files.exists(image), "no image was created");
    }

    private static String[] args(List<String> first, String... more) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void h_qemuOptionsThatCannotWorkAreBadUsage() throws Exception {
        Path ram = dir.resolve("guest.ram");
        Files.write(ram, new byte[4096]);
        ChildProcess noQmp = processes.run("sender-no-qmp", "tern-sender", "--to", "127.0.0.1:1", "--source", "qemu:" + ram);
        assertEquals(2, exit(noQmp), noQmp.outputs());
        assertOneLine(noQmp, "qemu: without qmp=");
        assertTrue(noQmp.stderrLines().get(0).contains("qmp=SOCKET is required"), noQmp.outputs());
        ChildProcess twoCopies = processes.run("sender-continue", "tern-sender", "--to", "127.0.0.1:1", "--source",
                "qemu:" + ram + ",qmp=" + dir.resolve("q.sock") + ",handoff=tcp:127.0.0.1:4444", "--after-success", "continue");
        assertEquals(2, exit(twoCopies), twoCopies.outputs());
        assertTrue(twoCopies.stderrLines().get(0).contains("running on both hosts"), twoCopies.outputs());
        ChildProcess noCommand = processes.run("receiver-no-qemu", "tern-receiver", "--listen", "127.0.0.1:0", "--image",
                dir.resolve("i.img").toString(), "--qemu-incoming", "tcp:127.0.0.1:4444");
        assertEquals(2, exit(noCommand), noCommand.outputs());
        assertOneLine(noCommand, "--qemu-incoming without a command");
        assertTrue(noCommand.stderrLines().get(0).contains("command line after --"), noCommand.outputs());
        assertNoStackTrace(noQmp);
        assertNoStackTrace(noCommand);
    }

    @Test
    void q_theQemuStreamPathRefusesOptionsThatDoNotApplyBeforeTouchingQemu() throws Exception {
        String[][] cases = {
                {"--xbzrle", "--xbzrle does not go with --source qemu-stream:"},
                {"--mode=reconcile", "--mode digest"},
                {"--after-success=continue", "running on both hosts"},
                {"--progress=json", "QEMU's own query-migrate"},
        };
        for (String[] c : cases) {
            // no QEMU at that socket: a usage error is found before QMP is even tried
            ChildProcess p = processes.run("sender-" + c[0].replaceAll("[^a-z]", ""), "tern-sender", "--to", "127.0.0.1:1",
                    "--source", "qemu-stream:qmp=" + dir.resolve("none.qmp"), c[0]);
            assertEquals(2, exit(p), p.outputs());
            assertOneLine(p, c[0]);
            assertTrue(p.stderr().contains(c[1]), p.outputs());
        }
        // the start-up checks: a QMP socket that is not there is bad usage, before anything connects
        ChildProcess noSocket = processes.run("sender-nosocket", "tern-sender", "--to", "127.0.0.1:1",
                "--source", "qemu-stream:qmp=" + dir.resolve("none.qmp"));
        assertEquals(2, exit(noSocket), noSocket.outputs());
        assertOneLine(noSocket, "a missing QMP socket");
        assertTrue(noSocket.stderr().contains("none.qmp: no such socket"), noSocket.outputs());
        ChildProcess bad = processes.run("sender-listen", "tern-sender", "--to", "127.0.0.1:1",
                "--source", "qemu-stream:qmp=q,listen=tcp:10.0.0.1:4444");
        assertEquals(2, exit(bad), bad.outputs());
        assertTrue(bad.stderr().contains("must be on loopback"), bad.outputs());
        for (String[] r : new String[][] {{"--image", "x.img", "writes no image"}, {"--keep-serving", "", "--keep-serving"},
                {"--discard-resume", "", "keeps no resume file"}}) {
            List<String> args = new java.util.ArrayList<>(List.of("--listen", "127.0.0.1:0", "--qemu-stream", r[0]));
            if (!r[1].isEmpty()) {
                args.add(r[1]);
            }
            args.addAll(List.of("--", "qemu-system-x86_64"));
            ChildProcess p = processes.run("receiver-" + r[0].replaceAll("[^a-z]", ""), "tern-receiver", args.toArray(String[]::new));
            assertEquals(2, exit(p), p.outputs());
            assertOneLine(p, r[0]);
            assertTrue(p.stderr().contains(r[2]), p.outputs());
            assertFalse(p.stdout().contains("listening on"), "should not have served\n" + p.outputs());
        }
        ChildProcess noCommand = processes.run("receiver-nocommand", "tern-receiver", "--listen", "127.0.0.1:0", "--qemu-stream");
        assertEquals(2, exit(noCommand), noCommand.outputs());
        assertTrue(noCommand.stderr().contains("command line after --"), noCommand.outputs());
    }
}
