package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tern.common.json.JsonObjects;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/**
 * Three processes, as in production: a receiver, a writer mapping a file (a stand-in for a guest's
 * RAM under /dev/shm), and a sender migrating that file while the writer keeps storing, pausing the
 * writer with SIGSTOP for stop-and-copy. Invariant 1: the image equals the source as it was at the
 * pause, which stays frozen afterwards because the writer is left stopped.
 */
class ProcessMigrationIT extends WrittenFileTest {
    private static final int PAGES = 4096; // 16 MiB
    private static final int PAGE_SIZE = PageWriterProcess.PAGE_SIZE;
    /** Stores per second: dirties a good share of the pages while iteration 1 runs, cheap for 2 cores. */
    private static final String RATE = "5000";

    @Test
    void migratesAFileAnotherProcessWritesAndLeavesTheWriterStopped() throws Exception {
        ProcessGroup.Receiver started = processes.startReceiver("receiver", "--listen", "127.0.0.1:0", "--image", image.toString());
        ChildProcess receiver = started.process();
        assertEquals(image.toString(), started.listening().image(), "receiver's first line names the image" + processes.outputs());

        ChildProcess writer = startWriter(PAGES, RATE, "42");

        ChildProcess sender = processes.start("sender", processes.tool("tern-sender",
                "--to", started.to(), "--source", "file:" + source, "--pause-pid", Long.toString(writer.pid()),
                "--mode", "digest", "--stats", stats.toString()));
        int senderExit = sender.awaitExit();
        int receiverExit = receiver.awaitExit();
        assertEquals(0, senderExit, "sender exit code" + processes.outputs());
        assertEquals(0, receiverExit, "receiver exit code" + processes.outputs());

        assertTrue(Files.exists(stats), "no --stats file" + processes.outputs());
        List<Map<String, Object>> lines = JsonObjects.readLines(stats);
        assertTrue(lines.size() >= 2, "iterations and a summary expected: " + lines + processes.outputs());
        Map<String, Object> summary = lines.get(lines.size() - 1);
        assertEquals("summary", summary.get("type"), "last stats line" + processes.outputs());
        assertEquals(true, summary.get("verified"), "summary: " + summary + processes.outputs());
        for (String k : List.of("converged", "pages_sent", "bytes_on_wire", "root_digest")) {
            assertTrue(summary.containsKey(k), "summary lacks " + k + ": " + summary);
        }
        List<Map<String, Object>> iterations = lines.subList(0, lines.size() - 1);
        assertEquals("stop-and-copy", iterations.get(iterations.size() - 1).get("phase"),
                "the last iteration is the stop-and-copy pass: " + iterations);
        assertTrue(iterations.size() >= 2, "a writer storing " + RATE + "/s leaves work after the bulk pass: " + iterations);
        long laterDirty = iterations.stream().skip(1).mapToLong(i -> (Long) i.get("pages_dirty")).sum();
        assertTrue(laterDirty > 0, "iterations 2+ found no dirty page although the writer stores " + RATE + "/s: "
                + iterations);

        // The writer is left stopped (--after-success stay-paused): the source is frozen as at the pause.
        assertTrue(writer.isAlive(), "the writer should still exist, stopped" + processes.outputs());
        char state = processState(writer.pid());
        assertTrue(state == 'T' || state == 't', "writer state " + state + ", expected stopped (T)" + processes.outputs());

        assertEquals((long) PAGES * PAGE_SIZE, Files.size(source), "source size");
        assertEquals(Files.size(source), Files.size(image), "image size" + processes.outputs());
        assertImageIsSource();

        // Invariant 1's root, recomputed here from the source bytes: SHA-256 over the ordered SHA-256 page digests.
        String root = rootOf(source);
        assertEquals(root, summary.get("root_digest"), "sender's root vs the source file's" + processes.outputs());
        assertTrue(receiver.stdout().contains("root " + root), "receiver reports the same root" + processes.outputs());
    }

    private static char processState(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    private static String rootOf(Path file) throws Exception {
        MessageDigest page = MessageDigest.getInstance("SHA-256");
        MessageDigest root = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[PAGE_SIZE];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.readNBytes(buf, 0, PAGE_SIZE)) > 0) {
                assertEquals(PAGE_SIZE, n, "a whole number of pages");
                root.update(page.digest(buf));
            }
        }
        return HexFormat.of().formatHex(root.digest());
    }
}
