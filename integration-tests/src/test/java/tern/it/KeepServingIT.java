package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `tern-receiver --keep-serving` serves one migration after another, each into a fresh image. */
class KeepServingIT {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+), image .+");

    @TempDir
    Path dir;

    @Test
    void servesMigrationsOneAfterAnother() throws Exception {
        Path image = dir.resolve("image.img");
        try (ItProcess receiver = ItProcess.start("receiver", dir, ItProcess.launcher("tern-receiver",
                "--listen", "127.0.0.1:0", "--image", image.toString(), "--keep-serving"))) {
            Matcher m = LISTENING.matcher(receiver.awaitStdoutLine(l -> l.startsWith("listening on "), ItProcess.TIMEOUT));
            assertTrue(m.matches(), receiver.outputs());
            String to = "127.0.0.1:" + m.group(1);
            String[][] runs = {{"4MiB", "uniform", "1"}, {"2MiB", "silent", "2"}, {"3MiB", "mixed", "3"}};
            for (int i = 0; i < runs.length; i++) {
                Path stats = dir.resolve("stats-" + i + ".jsonl");
                try (ItProcess sender = ItProcess.start("sender-" + i, dir, ItProcess.launcher("tern-sender", "--to", to,
                        "--memory", runs[i][0], "--workload", runs[i][1], "--seed", runs[i][2], "--pacing", "1/page",
                        "--quiet", "--stats", stats.toString()))) {
                    assertEquals(0, sender.awaitExit(), sender.outputs() + receiver.outputs());
                }
                List<Map<String, String>> lines = FlatJson.readLines(stats);
                Map<String, String> summary = lines.get(lines.size() - 1);
                assertEquals("true", summary.get("verified"));
                String root = summary.get("root_digest");
                // the receiver verified the same root (fails with both outputs if it never says so)
                receiver.awaitStdoutLine(l -> l.startsWith("verified:") && l.endsWith("root " + root), ItProcess.TIMEOUT);
                // each migration replaces the image with one of its own size
                assertEquals(Long.parseLong(runs[i][0].replace("MiB", "")) << 20, Files.size(image));
            }
            assertTrue(receiver.isAlive(), "still serving\n" + receiver.outputs());
        }
    }
}
