package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tern.common.json.JsonObjects;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;

/** `tern-receiver --keep-serving` serves one migration after another, each into a fresh image. */
class KeepServingIT extends ProcessTest {
    @Test
    void servesMigrationsOneAfterAnother() throws Exception {
        Path image = dir.resolve("image.img");
        ProcessGroup.Receiver started = processes.startReceiver("receiver",
                "--listen", "127.0.0.1:0", "--image", image.toString(), "--keep-serving");
        ChildProcess receiver = started.process();
        String[][] runs = {{"4MiB", "uniform", "1"}, {"2MiB", "silent", "2"}, {"3MiB", "mixed", "3"}};
        for (int i = 0; i < runs.length; i++) {
            Path stats = dir.resolve("stats-" + i + ".jsonl");
            ChildProcess sender = processes.run("sender-" + i, "tern-sender", "--to", started.to(),
                    "--memory", runs[i][0], "--workload", runs[i][1], "--seed", runs[i][2], "--pacing", "1/page",
                    "--quiet", "--stats", stats.toString());
            assertEquals(0, sender.awaitExit(), processes.outputs());
            List<Map<String, Object>> lines = JsonObjects.readLines(stats);
            Map<String, Object> summary = lines.get(lines.size() - 1);
            assertEquals(true, summary.get("verified"));
            String root = (String) summary.get("root_digest");
            // the receiver verified the same root (fails with both outputs if it never says so)
            receiver.awaitStdoutLine(l -> l.startsWith("verified:") && l.endsWith("root " + root), ChildProcess.TIMEOUT);
            // each migration replaces the image with one of its own size
            assertEquals(Long.parseLong(runs[i][0].replace("MiB", "")) << 20, Files.size(image));
        }
        assertTrue(receiver.isAlive(), "still serving\n" + receiver.outputs());
    }
}
