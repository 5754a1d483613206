package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/**
 * Every way a sender can stop before the destination verifiably runs leaves its source running:
 * SIGTERM, SIGINT and SIGHUP in each phase (bulk, iterative, stop-and-copy, completion), a
 * receiver that refuses its verdict with the source paused, and a link lost for longer than
 * --resume-timeout. The source is a file another process writes, paused with --pause-pid: after
 * each case that writer is running (state not T). A signalled sender exits 128 + the signal with
 * one line naming the signal, the phase and the writer's state, and the receiver, told by the
 * Cancel, has ended the migration by the time the sender exits, ready for the next one.
 *
 * <p>No sleeps: each phase is found from the receiver's own lines ("iteration N (PHASE)" at each
 * mark, its drift line at completion) and lasts a second or so because --bandwidth caps the
 * sender, and the writer's state is read from /proc. The completion phase is made to last by
 * pages the receiver's image gains behind its back (the test writes them): at completion the
 * receiver finds them drifted and has them resent, at the capped bandwidth, before its verdict.
 */
class ExitPathsIT extends ProcessTest {
    /** 8 MiB; the writer stores only into the first half, so the second half stays zero and is never sent. */
    private static final int PAGES = 2048;
    private static final int HOT_PAGES = 1024;
    private static final int PAGE = PageWriterProcess.PAGE_SIZE;
    private static final String BANDWIDTH = "8MiB";
    private static final Duration CANCEL_SEEN = Duration.ofSeconds(1);

    private Path source;
    private ChildProcess writer;

    @BeforeEach
    void startWriter() throws Exception {
        source = shmDir().resolve("source.ram");
        writer = processes.start("writer", javaMain(PageWriterProcess.class, source.toString(), Integer.toString(PAGES),
                "5000", "11", "0.3", Integer.toString(HOT_PAGES)));
        writer.awaitStdoutLine("ready"::equals, ChildProcess.TIMEOUT);
    }

    /** A phase, the options that make the sender reach it and stay in it, and how the test finds it. */
    private enum Phase {
        BULK("during bulk (iteration 1)", "iteration 1 (bulk)", false, "--max-iterations", "3"),
        ITERATIVE("during iterative (iteration 2)", "iteration 2 (iterative)", false, "--max-iterations", "3",
                "--downtime-limit", "1ms"),
        STOP_AND_COPY("during stop-and-copy (iteration 2)", "iteration 2 (stop-and-copy)", true, "--max-iterations", "1"),
        COMPLETION("during completion", "pages of the image changed behind the receiver", true, "--max-iterations", "1");

        final String senderSays;
        final String receiverLine;
        final boolean paused;
        final List<String> options;

        Phase(String senderSays, String receiverLine, boolean paused, String... options) {
            this.senderSays = senderSays;
            this.receiverLine = receiverLine;
            this.paused = paused;
            this.options = List.of(options);
        }
    }

    @Test
    void aSignalInEveryPhaseLeavesTheWriterRunningAndTheReceiverFree() throws Exception {
        Path image = dir.resolve("image.ram");
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver", "--listen", "127.0.0.1:0", "--image",
                image.toString(), "--keep-serving");
        int n = 0;
        for (Phase phase : Phase.values()) {
            for (String signal : List.of("TERM", "INT")) {
                interrupt(receiver, image, phase, signal, "case-" + n++);
            }
        }
        interrupt(receiver, image, Phase.BULK, "HUP", "case-" + n);

        // and the receiver takes the next migration, which verifies
        ChildProcess last = processes.start("sender-last", processes.tool("tern-sender", "--to", receiver.to(),
                "--source", "file:" + source, "--pause-pid", Long.toString(writer.pid()), "--after-success", "continue",
                "--quiet"));
        assertEquals(0, last.awaitExit(), processes.outputs());
        assertNotEquals('T', state(writer), "--after-success continue" + processes.outputs());
    }

    private void interrupt(ProcessGroup.Receiver receiver, Path image, Phase phase, String signal, String id)
            throws Exception {
        String what = id + " (" + phase + ", SIG" + signal + ")";
        ChildProcess r = receiver.process();
        int from = r.stdoutLines().size();
        List<String> args = new ArrayList<>(List.of("--to", receiver.to(), "--source", "file:" + source, "--pause-pid",
                Long.toString(writer.pid()), "--bandwidth", BANDWIDTH, "--migration-id", id));
        args.addAll(phase.options);
        ChildProcess sender = processes.start("sender-" + id, dir, withDefaultSignals(processes.tool("tern-sender",
                args.toArray(String[]::new))), Map.of(), List.of());
        r.awaitStdoutLine(from, l -> l.startsWith("migration " + id + ": "), ChildProcess.TIMEOUT);
        if (phase == Phase.COMPLETION) {
            // the image exists from the hello on; pages the source holds as zero are never sent, so
            // what the test writes into them stays until the receiver verifies the image
            r.awaitStdoutLine(from, "iteration 1 (bulk)"::equals, ChildProcess.TIMEOUT);
            scribbleColdHalf(image);
        }
        r.awaitStdoutLine(from, l -> l.contains(phase.receiverLine), ChildProcess.TIMEOUT);
        if (phase.paused) {
            assertEquals('T', state(writer), what + ": the writer is paused in this phase" + processes.outputs());
        }
        sender.signal(signal);
        int code = sender.awaitExit();
        int expected = switch (signal) {
            case "HUP" -> 129;
            case "INT" -> 130;
            default -> 143;
        };
        assertEquals(expected, code, what + processes.outputs());
        assertNotEquals('T', state(writer), what + ": the writer must run on" + processes.outputs());
        List<String> err = sender.stderrLines();
        assertEquals(1, err.size(), what + ": one line" + sender.outputs());
        String line = err.get(0);
        assertTrue(line.startsWith("tern-sender: interrupted by SIG" + signal + " " + phase.senderSays), what + ": " + line);
        assertTrue(line.contains(": source " + (phase.paused ? "resumed" : "was not paused") + " (pid " + writer.pid()
                + " running); the receiver ended the migration"), what + ": " + line);
        // the hook waited for the receiver's word: it has ended the migration already
        r.awaitStderrLine(l -> l.startsWith("tern-receiver: migration " + id + " failed: cancelled by the sender: interrupted by SIG"
                + signal), CANCEL_SEEN);
        assertFalse(Files.exists(image.resolveSibling(image.getFileName() + ".tern-resume")), what + ": no resume file left");
    }

    /** A receiver that refuses its verdict while the source is paused: the sender resumes it and exits 1. */
    @Test
    void aReceiverThatRefusesWithTheSourcePausedLeavesTheWriterRunning() throws Exception {
        // a destination "QEMU" that exits at once: the receiver verifies the image, then refuses the
        // verdict because no destination can take the guest
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver-refusing", "--listen", "127.0.0.1:0",
                "--image", dir.resolve("refused.img").toString(), "--qemu-incoming", "tcp:127.0.0.1:1", "--", "false");
        ChildProcess sender = processes.start("sender-refused", processes.tool("tern-sender", "--to", receiver.to(),
                "--source", "file:" + source, "--pause-pid", Long.toString(writer.pid()), "--max-iterations", "1",
                "--quiet"));
        assertEquals(1, sender.awaitExit(), processes.outputs());
        assertTrue(sender.stderr().contains("receiver refused completion: image verified, but destination QEMU exited"),
                sender.outputs());
        assertNotEquals('T', state(writer), "the writer runs on after the refusal" + processes.outputs());
        assertEquals(1, receiver.process().awaitExit(), receiver.process().outputs());
    }

    /** The link lost for longer than --resume-timeout, with the source paused: resumed, exit 1, naming the cause. */
    @Test
    void aLinkLostPastTheResumeTimeoutLeavesTheWriterRunning() throws Exception {
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver-killed", "--listen", "127.0.0.1:0",
                "--image", dir.resolve("lost.img").toString());
        ChildProcess sender = processes.start("sender-lost", processes.tool("tern-sender", "--to", receiver.to(),
                "--source", "file:" + source, "--pause-pid", Long.toString(writer.pid()), "--bandwidth", BANDWIDTH,
                "--max-iterations", "1", "--resume-timeout", "1s", "--keepalive", "1s"));
        receiver.process().awaitStdoutLine("iteration 2 (stop-and-copy)"::equals, ChildProcess.TIMEOUT);
        assertEquals('T', state(writer), "paused for the stop-and-copy" + processes.outputs());
        processes.close(receiver.process()); // SIGKILL: the link is gone for good
        assertEquals(1, sender.awaitExit(), processes.outputs());
        assertTrue(sender.stderr().contains("could not resume within --resume-timeout 1s")
                && sender.stderr().contains("cannot reach receiver " + receiver.to() + ": connection refused"), sender.outputs());
        assertNotEquals('T', state(writer), "the writer runs on after the lost link" + processes.outputs());
    }

    /** Non-zero bytes in the pages of the image the source holds as zero. */
    private static void scribbleColdHalf(Path image) throws IOException {
        byte[] junk = new byte[PAGE];
        java.util.Arrays.fill(junk, (byte) 0x5a);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            for (long p = HOT_PAGES; p < PAGES; p++) {
                f.seek(p * PAGE);
                f.write(junk);
            }
        }
    }

    /**
     * The command with SIGINT and SIGHUP at their defaults: a process started in the background by
     * a non-interactive shell ignores SIGINT, its children inherit that, and the JVM honours it.
     */
    private static List<String> withDefaultSignals(List<String> command) {
        List<String> c = new ArrayList<>(List.of("env", "--default-signal=INT,HUP,TERM"));
        c.addAll(command);
        return c;
    }

    private static char state(ChildProcess p) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }
}
