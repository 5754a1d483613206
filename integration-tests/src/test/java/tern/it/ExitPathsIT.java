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
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tern.common.log.Log;
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
        writer = writer("writer", source);
    }

    private ChildProcess writer(String name, Path file) throws Exception {
        ChildProcess w = processes.start(name, javaMain(PageWriterProcess.class, file.toString(), Integer.toString(PAGES),
                "5000", "11", "0.3", Integer.toString(HOT_PAGES)));
        w.awaitStdoutLine("ready"::equals, ChildProcess.TIMEOUT);
        return w;
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

    /**
     * Two lanes side by side, each with a writer and a receiver of its own (the phases are paced
     * by the bandwidth cap, so they overlap well): one sends SIGTERM in every phase, the other
     * SIGINT, then SIGHUP.
     */
    @Test
    void aSignalInEveryPhaseLeavesTheWriterRunningAndTheReceiverFree() throws Exception {
        Lane term = new Lane("term", source, writer);
        Path intSource = shmDir().resolve("source-int.ram");
        Lane intr = new Lane("int", intSource, writer("writer-int", intSource));
        Throwable[] failed = new Throwable[1];
        Thread second = new Thread(() -> {
            try {
                intr.run("INT", "HUP");
            } catch (Throwable t) {
                failed[0] = t;
            }
        }, "lane-int");
        second.start();
        term.run("TERM");
        second.join();
        if (failed[0] != null) {
            throw new AssertionError("lane int: " + failed[0].getMessage(), failed[0]);
        }
    }

    /** A writer, a receiver --keep-serving, and senders signalled in turn in every phase. */
    private final class Lane {
        final String name;
        final Path file;
        final ChildProcess writer;
        final Path image;
        final ProcessGroup.Receiver receiver;

        Lane(String name, Path file, ChildProcess writer) throws Exception {
            this.name = name;
            this.file = file;
            this.writer = writer;
            this.image = dir.resolve("image-" + name + ".ram");
            this.receiver = processes.startReceiver("receiver-" + name, "--listen", "127.0.0.1:0", "--image",
                    image.toString(), "--keep-serving");
        }

        /** {@code signal} in every phase; then each of {@code more} in the bulk; then a migration that verifies. */
        void run(String signal, String... more) throws Exception {
            for (Phase phase : Phase.values()) {
                interrupt(phase, signal, name + "-" + phase.name().toLowerCase(Locale.ROOT));
            }
            for (String s : more) {
                interrupt(Phase.BULK, s, name + "-" + s.toLowerCase(Locale.ROOT));
            }
            // and the receiver takes the next migration, which verifies
            ChildProcess last = processes.start("sender-" + name + "-last", processes.tool("tern-sender", "--to",
                    receiver.to(), "--source", "file:" + file, "--pause-pid", Long.toString(writer.pid()),
                    "--after-success", "continue", "--quiet"));
            assertEquals(0, last.awaitExit(), processes.outputs());
            assertNotEquals('T', state(writer), "--after-success continue" + processes.outputs());
        }

        private void interrupt(Phase phase, String signal, String id) throws Exception {
            String what = id + " (SIG" + signal + ")";
            ChildProcess r = receiver.process();
            int from = r.stdoutLines().size();
            List<String> args = new ArrayList<>(List.of("--to", receiver.to(), "--source", "file:" + file, "--pause-pid",
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
            String line = Log.untimed(err.get(0));
            assertTrue(line.startsWith("tern-sender: interrupted by SIG" + signal + " " + phase.senderSays), what + ": " + line);
            assertTrue(line.contains(": source " + (phase.paused ? "resumed" : "was not paused") + " (pid " + writer.pid()
                    + " running); the receiver ended the migration"), what + ": " + line);
            // the hook waited for the receiver's word: it has ended the migration already
            r.awaitStderrLine(l -> Log.untimed(l).startsWith("tern-receiver: migration " + id
                    + " failed: cancelled by the sender: interrupted by SIG" + signal), CANCEL_SEEN);
            assertFalse(Files.exists(image.resolveSibling(image.getFileName() + ".tern-resume")),
                    what + ": no resume file left");
        }
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

    /**
     * SIGKILL, which nothing can catch, during the stop-and-copy: the writer is left stopped until
     * {@code tern-sender --resume-source pid:PID}; the receiver holds the migration and refuses a
     * new sender naming the resume file and --discard-resume, says so again when restarted on it,
     * and started with --discard-resume takes a new migration.
     */
    @Test
    void afterASigkillResumeSourceAndDiscardResumeRecover() throws Exception {
        Path image = dir.resolve("killed.img");
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver-held", "--listen", "127.0.0.1:0",
                "--image", image.toString());
        ChildProcess killed = processes.start("sender-killed", processes.tool("tern-sender", "--to", receiver.to(),
                "--source", "file:" + source, "--pause-pid", Long.toString(writer.pid()), "--bandwidth", BANDWIDTH,
                "--max-iterations", "1", "--migration-id", "killed"));
        receiver.process().awaitStdoutLine("iteration 2 (stop-and-copy)"::equals, ChildProcess.TIMEOUT);
        processes.close(killed); // SIGKILL
        receiver.process().awaitStdoutLine(l -> l.startsWith("stream of migration killed lost"), ChildProcess.TIMEOUT);
        assertEquals('T', state(writer), "a SIGKILL leaves the writer stopped" + processes.outputs());

        ChildProcess resume = processes.run("resume-source", "tern-sender", "--resume-source", "pid:" + writer.pid());
        assertEquals(0, resume.awaitExit(), resume.outputs());
        assertEquals(List.of("pid " + writer.pid() + " continued: running"), resume.stdoutLines(), resume.outputs());
        assertNotEquals('T', state(writer), "--resume-source continued it" + processes.outputs());

        ChildProcess refused = processes.run("sender-refused", "tern-sender", "--to", receiver.to(), "--workload", "uniform",
                "--memory", "1MiB", "--quiet");
        assertEquals(1, refused.awaitExit(), refused.outputs());
        assertTrue(refused.stderr().contains("a migration is already in progress on this receiver (killed)")
                && refused.stderr().contains("resume file " + image + ".tern-resume")
                && refused.stderr().contains("restart tern-receiver with --discard-resume"), refused.outputs());
        processes.close(receiver.process());

        ChildProcess restarted = processes.start("receiver-restarted", processes.tool("tern-receiver", "--listen",
                "127.0.0.1:0", "--image", image.toString()));
        String holds = restarted.awaitStdoutLine(l -> l.startsWith("image " + image + " holds migration killed"),
                ChildProcess.TIMEOUT);
        assertTrue(holds.endsWith("(if its sender is gone for good, restart with --discard-resume)"), holds);
        processes.close(restarted);

        ProcessGroup.Receiver fresh = processes.startReceiver("receiver-discarding", "--listen", "127.0.0.1:0",
                "--image", image.toString(), "--discard-resume");
        assertTrue(fresh.process().stdout().startsWith("discarded " + image + ".tern-resume"), fresh.process().outputs());
        ChildProcess next = processes.run("sender-next", "tern-sender", "--to", fresh.to(), "--workload", "uniform",
                "--memory", "1MiB", "--quiet");
        assertEquals(0, next.awaitExit(), processes.outputs());
        assertEquals(0, fresh.process().awaitExit(), fresh.process().outputs());
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
