package tern.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
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

    @BeforeEach
    final void startProcessGroup() {
        processes = new ProcessGroup(TernHome.find(), dir);
    }

    @AfterEach
    final void endProcessGroup() throws InterruptedException {
        processes.close();
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
