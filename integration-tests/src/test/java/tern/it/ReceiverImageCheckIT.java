package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tern.common.log.Log;
import tern.lab.process.ChildProcess;

/**
 * The receiver checks --image before it listens (docs/hostile-input.md): an image in a missing
 * directory, on /proc or /sys, or a directory, is bad usage (exit 2, one line naming --image and
 * the problem), and "listening on" is never printed, so no sender moves a byte towards it.
 */
class ReceiverImageCheckIT extends ProcessTest {
    @ParameterizedTest
    @ValueSource(strings = {"missing-dir/image.img", "/proc/tern-image.img", "/sys/tern-image.img", "a-directory"})
    void anImageThatCannotBeWrittenIsBadUsageBeforeListening(String path) throws Exception {
        Files.createDirectories(dir.resolve("a-directory"));
        String image = path.startsWith("/") ? path : dir.resolve(path).toString();
        ChildProcess p = processes.run("receiver", "tern-receiver", "--listen", "127.0.0.1:0", "--image", image);
        assertEquals(2, p.awaitExit(), p.outputs());
        List<String> err = p.stderrLines();
        assertEquals(1, err.size(), "one line\n" + p.outputs());
        assertTrue(Log.untimed(err.get(0)).startsWith("tern-receiver: --image " + image + ": "), p.outputs());
        assertFalse(p.stdout().contains("listening on"), "it listened\n" + p.outputs());
    }
}
