package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;
import tern.proto.Complete;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.RawPeer;
import tern.receiver.image.ResumeFile;

/**
 * docs/resume.md, durability: the image is forced to disk and the resume file deleted (its
 * directory forced) before the verdict exists. A receiver killed (SIGKILL) the moment its sender
 * reads "verified" holds the whole image and offers nothing to resume: restarted on the same
 * command line it refuses to replace the image (exit 2), and with --overwrite it serves afresh.
 */
class VerdictDurabilityIT extends ProcessTest {
    static final int PAGE = 4096;
    static final int PAGES = 256;

    @Test
    void aReceiverKilledRightAfterItsVerdictKeepsTheImageAndOffersNoResume() throws Exception {
        Path image = dir.resolve("image.img");
        String[] args = {"--listen", "127.0.0.1:0", "--image", image.toString(), "--keep-serving"};
        ProcessGroup.Receiver started = processes.startReceiver("receiver", args);
        byte[] model = new byte[PAGE * PAGES];
        try (RawPeer p = new RawPeer(started.port())) {
            p.send(SenderMessage.newBuilder().setHello(HostileFloodIT.hello().setPageCount(PAGES)).build());
            assertTrue(p.next().hasAccept());
            int last = HostileFloodIT.sendBatches(p, model, 0, 0, PAGES);
            p.send(SenderMessage.newBuilder().setComplete(Complete.newBuilder().setLastSequence(last)
                    .setRootDigest(ByteString.copyFrom(RawPeer.rootOf(model, PAGE)))).build());
            ReceiverMessage v = p.next();
            assertTrue(v.hasVerdict() && v.getVerdict().getOk(), v::toString);
            // the sender has read "verified": the receiver dies now, before anything else it might do
            Process kill = new ProcessBuilder("kill", "-KILL", Long.toString(started.process().pid())).start();
            assertEquals(0, kill.waitFor());
        }
        assertEquals(137, started.process().awaitExit(), started.process().outputs());
        assertFalse(Files.exists(ResumeFile.pathFor(image)), "the finished migration's resume file survived its verdict");
        assertEquals(-1, Arrays.mismatch(model, Files.readAllBytes(image)), "the image is not what was verified");

        ChildProcess again = processes.run("receiver-again", "tern-receiver", args);
        assertEquals(2, again.awaitExit(), again.outputs());
        assertTrue(again.stderr().contains("holds no migration to resume") && again.stderr().contains("--overwrite"),
                again.outputs());
        assertFalse(again.stdout().contains("holds migration"), "offered the finished migration\n" + again.outputs());
        assertEquals(-1, Arrays.mismatch(model, Files.readAllBytes(image)), "the restart changed the image");
    }
}
