package tern.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
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
        String line = p.stderrLines().get(0);
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
        assertTrue(err.contains("unreachable") || err.contains("UNAVAILABLE"), "clear reason expected\n" + p.outputs());
        assertOneLine(p, "unreachable receiver");
        assertNoStackTrace(p); // (h)

        ChildProcess v = processes.run("sender-verbose", "tern-sender", "--to", "127.0.0.1:1", "--workload", "idle", "--memory", "1MiB",
                "--verbose");
        assertEquals(1, exit(v), v.outputs());
        assertTrue(v.stderrLines().stream().anyMatch(l -> l.startsWith("\tat ")),
                "--verbose should print the stack trace\n" + v.outputs());
        assertTrue(v.stderr().contains("unreachable") || v.stderr().contains("UNAVAILABLE"), v.outputs());
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
        };
        for (String[] c : cases) {
            // no QEMU at that socket: a usage error is found before QMP is even tried
            ChildProcess p = processes.run("sender-" + c[0].replaceAll("[^a-z]", ""), "tern-sender", "--to", "127.0.0.1:1",
                    "--source", "qemu-stream:qmp=" + dir.resolve("none.qmp"), c[0]);
            assertEquals(2, exit(p), p.outputs());
            assertOneLine(p, c[0]);
            assertTrue(p.stderr().contains(c[1]), p.outputs());
        }
        ChildProcess bad = processes.run("sender-listen", "tern-sender", "--to", "127.0.0.1:1",
                "--source", "qemu-stream:qmp=q,listen=tcp:10.0.0.1:4444");
        assertEquals(2, exit(bad), bad.outputs());
        assertTrue(bad.stderr().contains("must be on loopback"), bad.outputs());
        for (String[] r : new String[][] {{"--image", "x.img", "writes no image"}, {"--keep-serving", "", "--keep-serving"}}) {
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
