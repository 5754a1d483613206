package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tern.common.json.JsonObjects;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/**
 * A receiver process killed with SIGKILL in the middle of a migration and started again on the
 * same image and address: the sender, which kept its source running and kept reconnecting, resumes
 * with its token; the restarted receiver rebuilt its table from the image bytes (it died
 * mid-stream, so its resume file was unsealed). Pages changed in the image while the receiver was
 * down are found at the resume, not at completion (no resync), and resent. The image ends
 * byte-identical to the paused source.
 *
 * <p>Synchronised on the processes' own lines: the kill follows the sender's "iteration 1" line
 * (iterations take about 2 s each at the capped bandwidth, and the run is forced to 3 of them), the
 * changes follow the receiver's death, the sender's resume follows the restart.
 */
class ReceiverRestartIT extends WrittenFileTest {
    private static final int PAGES = 2048; // 8 MiB: about 2 s per pass at 4 MiB/s
    private static final int PAGE_SIZE = PageWriterProcess.PAGE_SIZE;
    private static final int[] CHANGED = {3, 100, 517, 1024, 1500, 2000, 2046, 2047};

    @Test
    void killedReceiverRestartsResumesAndChangedPagesAreResent() throws Exception {
        ProcessGroup.Receiver started = processes.startReceiver("receiver", "--listen", "127.0.0.1:0", "--image", image.toString());
        ChildProcess receiver = started.process();
        int port = started.port();

        ChildProcess writer = startWriter(PAGES, "1000", "7");
        ChildProcess sender = processes.start("sender", processes.tool("tern-sender",
                "--to", "127.0.0.1:" + port, "--source", "file:" + source, "--pause-pid", Long.toString(writer.pid()),
                "--bandwidth", "4MiB", "--downtime-limit", "0ms", "--max-iterations", "3",
                "--resume-timeout", "60s", "--stats", stats.toString()));

        sender.awaitStdoutLine(l -> l.startsWith("iteration 1 (bulk)"), ChildProcess.TIMEOUT);
        receiver.close(); // SIGKILL, mid-migration
        assertTrue(Files.exists(Path.of(image + ".tern-resume")), "the killed receiver left its resume file" + processes.outputs());

        byte[] foreign = new byte[PAGE_SIZE];
        Arrays.fill(foreign, (byte) 0xEE);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            for (int p : CHANGED) {
                ch.write(ByteBuffer.wrap(foreign), (long) p * PAGE_SIZE);
            }
        }

        ChildProcess restarted = processes.start("receiver-restarted", processes.tool("tern-receiver",
                "--listen", "127.0.0.1:" + port, "--image", image.toString()));
        String held = restarted.awaitStdoutLine(l -> l.startsWith("image "), ChildProcess.TIMEOUT);
        assertTrue(held.contains("rebuilt from the image bytes"), "killed mid-stream: the table is rebuilt: " + held);
        sender.awaitStdoutLine(l -> l.startsWith("resumed after"), ChildProcess.TIMEOUT);

        assertEquals(0, sender.awaitExit(), "sender exit code" + processes.outputs());
        assertEquals(0, restarted.awaitExit(), "restarted receiver exit code" + processes.outputs());
        assertTrue(restarted.stdout().contains("resumed (resume 1)"), processes.outputs());

        assertImageIsSource();
        List<Map<String, Object>> lines = JsonObjects.readLines(stats);
        Map<String, Object> summary = lines.get(lines.size() - 1);
        assertEquals(true, summary.get("verified"), summary.toString());
        assertEquals(1L, summary.get("reconnects"), "one reconnect: " + summary);
        long resent = (Long) summary.get("pages_resent");
        assertTrue(resent >= CHANGED.length, "the " + CHANGED.length + " changed pages are resent: " + summary);
        assertEquals(0L, summary.get("resync_pages"), "found at the resume, not at completion: " + summary);
        assertTrue(Files.notExists(Path.of(image + ".tern-resume")), "a verified migration leaves no resume file");
    }
}
