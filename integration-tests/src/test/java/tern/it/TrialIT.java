package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tern.common.log.Log;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/**
 * bin/tern-trial as a real process: a model's trial with its trace recorded, the trace replayed,
 * a trial against a separate tern-receiver, a model migrated by tern-sender, and bad usage.
 * Deterministic pacing and small memories keep it short; timing decides nothing here.
 */
class TrialIT extends ProcessTest {
    @Test
    void modelTrialWritesTablesFilesAndChartAndItsTraceReplays() throws Exception {
        Path out = dir.resolve("out");
        Path trace = dir.resolve("memcached.trace.gz");
        ChildProcess t = processes.run("trial", "tern-trial", "--workload", "memcached", "--memory", "4MiB", "--pacing", "1/page",
                "--bandwidth", "0", "--out", out.toString(), "--record-trace", trace.toString());
        assertEquals(0, t.awaitExit(), t.outputs());
        String stdout = t.stdout();
        for (String run : List.of("sync-clear", "reconcile", "digest", "sync-clear+xbzrle", "digest+xbzrle")) {
            assertTrue(stdout.contains("\n" + run + ": "), "iteration table of " + run + "\n" + stdout);
        }
        assertTrue(stdout.contains("wire / oracle") && stdout.contains("false share it. 2"), stdout);
        for (String f : List.of("summary.json", "summary.csv", "iterations.json", "iterations.csv", "trial.png")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        assertNotNull(ImageIO.read(out.resolve("trial.png").toFile()), "trial.png decodes");
        assertEquals(5, Files.readAllLines(out.resolve("summary.json")).stream().filter(l -> l.startsWith("{")).count());

        Path out2 = dir.resolve("replay");
        ChildProcess r = processes.run("replay", "tern-trial", "--workload", "trace:" + trace, "--pacing", "1/page", "--bandwidth", "0",
                "--runs", "digest,sync-clear", "--out", out2.toString(), "--quiet");
        assertEquals(0, r.awaitExit(), r.outputs());
        String summary = Files.readString(out2.resolve("summary.json"));
        assertTrue(summary.contains("\"run\":\"digest\"") && summary.contains("\"run\":\"sync-clear\""), summary);
        assertTrue(summary.contains("\"workload\":\"trace:"), summary);
        assertTrue(summary.contains("\"pages_total\":1024,"), "the trace's own geometry: " + summary);
    }

    @Test
    void trialMigratesToASeparateReceiver() throws Exception {
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver",
                "--listen", "127.0.0.1:0", "--image", dir.resolve("image.img").toString(), "--keep-serving");
        ChildProcess t = processes.run("trial", "tern-trial", "--workload", "mcf", "--memory", "2MiB", "--pacing", "0.5/page",
                "--bandwidth", "0", "--runs", "sync-clear,digest", "--to", receiver.to(), "--out", dir.resolve("out").toString());
        assertEquals(0, t.awaitExit(), processes.outputs());
        int[] verified = {0}; // the receiver verified both migrations (fails with both outputs if not)
        receiver.process().awaitStdoutLine(l -> l.startsWith("verified:") && ++verified[0] == 2, ChildProcess.TIMEOUT);
    }

    @Test
    void senderMigratesAModel() throws Exception {
        ChildProcess s = processes.run("sender", "tern-sender", "--embedded-receiver", dir.resolve("img").toString(),
                "--workload", "zeusmp", "--memory", "2MiB", "--pacing", "1/page");
        assertEquals(0, s.awaitExit(), s.outputs());
        assertTrue(s.stdout().contains("verified: mode digest"), s.outputs());
        assertTrue(s.stdout().contains("workload zeusmp (2.0 MiB"), s.outputs());
    }

    @Test
    void badUsageExitsTwoWithOneLine() throws Exception {
        ChildProcess a = processes.run("bad-runs", "tern-trial", "--workload", "mcf", "--runs", "digest,fast");
        assertEquals(2, a.awaitExit(), a.outputs());
        assertEquals("tern-trial: --runs: 'fast' is not MODE or MODE+xbzrle (MODE: sync-clear, reconcile, digest)",
                Log.untimed(a.stderr().strip()), a.outputs());

        Path bad = Files.writeString(dir.resolve("bad.trace"), "tern-trace 1 page-size 4096 pages 4\n0 9 1\n");
        ChildProcess b = processes.run("bad-trace", "tern-trial", "--workload", "trace:" + bad, "--out", dir.resolve("o").toString());
        assertEquals(2, b.awaitExit(), b.outputs());
        assertEquals("tern-trial: trace " + bad + " line 2: page 9 out of range for 4 pages", Log.untimed(b.stderr().strip()),
                b.outputs());
    }
}
