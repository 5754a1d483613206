package tern.receiver.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of every decoder on the receiver through {@link HostileSession}: the
 * short run CI makes (the receiver's `fuzz` surefire execution sets JAZZER_FUZZ). Without
 * JAZZER_FUZZ, JUnit runs only the stored inputs, as a regression test.
 */
class SessionFuzzTest {
    static final HostileStats STATS = new HostileStats();
    static final Path DIR = tempDir();

    @FuzzTest(maxDuration = "15s")
    void hostileSender(FuzzedDataProvider data) throws IOException {
        new HostileSession(DIR.resolve("image.img"), STATS, Choices.of(data)).run();
    }

    @AfterAll
    static void report() {
        System.out.println("hostile input (short fuzz run): " + STATS.summary());
    }

    static Path tempDir() {
        try {
            // tmpfs where there is one: an execution creates an image file
            Path shm = Path.of("/dev/shm");
            Path d = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "tern-fuzz-")
                    : Files.createTempDirectory("tern-fuzz-");
            d.toFile().deleteOnExit();
            d.resolve("image.img").toFile().deleteOnExit();
            d.resolve("peer.img").toFile().deleteOnExit();
            tern.receiver.image.ResumeFile.pathFor(d.resolve("peer.img")).toFile().deleteOnExit();
            // the session keeps its resume file beside the image; the directory goes only when empty
            tern.receiver.image.ResumeFile.pathFor(d.resolve("image.img")).toFile().deleteOnExit();
            return d;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
