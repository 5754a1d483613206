package tern.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import tern.lab.process.FileTree;
import tern.lab.process.ProcessGroup;
import tern.lab.process.TernHome;

/**
 * An integration test that runs the repository's tools as processes: a directory of its own
 * ({@code dir}, where each process's output goes) and a {@link ProcessGroup} that ends every
 * process still running after each test (a subclass's own @AfterEach runs first).
 */
abstract class ProcessTest {
    @TempDir
    Path dir;

    ProcessGroup processes;

    private Path shm;

    @BeforeEach
    final void startProcessGroup() {
        processes = new ProcessGroup(TernHome.find(), dir);
    }

    /** Ends the processes first: one may still map a file in {@link #shmDir()}. */
    @AfterEach
    final void endProcessGroup() throws InterruptedException {
        processes.close();
        if (shm != null && !shm.equals(dir)) {
            FileTree.delete(shm);
        }
    }

    /**
     * A directory for source memory: a new one in /dev/shm where it is writable (as a guest's RAM
     * file would be), else {@link #dir}; deleted after the test.
     */
    Path shmDir() throws IOException {
        if (shm == null) {
            Path devShm = Path.of("/dev/shm");
            shm = Files.isDirectory(devShm) && Files.isWritable(devShm) ? Files.createTempDirectory(devShm, "tern-it-") : dir;
        }
        return shm;
    }

    /** A JVM running {@code mainClass} from this module's test classes. */
    static List<String> javaMain(Class<?> mainClass, String... args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp;
        try {
            cp = Path.of(mainClass.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            cp = System.getProperty("java.class.path");
        }
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", cp, mainClass.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
