package tern.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import tern.lab.process.ChildProcess;

/**
 * A process test that migrates a file another process keeps writing, as in production: the
 * {@code source} (under /dev/shm where it can, as a guest's RAM file), written by a
 * {@link PageWriterProcess}, migrated into {@code image}, with the sender's --stats in {@code stats}.
 */
abstract class WrittenFileTest extends ProcessTest {
    Path source;
    Path image;
    Path stats;

    @BeforeEach
    final void paths() throws IOException {
        source = shmDir().resolve("source.ram");
        image = dir.resolve("image.ram");
        stats = dir.resolve("stats.jsonl");
    }

    /** Starts the writer of {@code source} and waits until the file is filled and being written. */
    ChildProcess startWriter(int pages, String rate, String seed) throws Exception {
        ChildProcess writer = processes.start("writer", javaMain(PageWriterProcess.class,
                source.toString(), Integer.toString(pages), rate, seed));
        writer.awaitStdoutLine("ready"::equals, ChildProcess.TIMEOUT);
        return writer;
    }

    /** Fails, naming the first byte and page that differ, unless the image holds the paused source's bytes. */
    void assertImageIsSource() throws IOException {
        long mismatch = Files.mismatch(source, image);
        if (mismatch != -1) {
            fail("image differs from the paused source at byte " + mismatch + " (page "
                    + mismatch / PageWriterProcess.PAGE_SIZE + ")" + processes.outputs());
        }
    }
}
