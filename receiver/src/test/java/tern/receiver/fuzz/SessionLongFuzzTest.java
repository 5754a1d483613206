package tern.receiver.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;

/**
 * The long fuzz run, one command (docs/hostile-input.md):
 * {@code ./mvnw -q install -DskipTests && ./mvnw -pl receiver test -Pfuzz-long}. One million
 * executions of the same target as {@link SessionFuzzTest}, starting from its stored inputs.
 */
class SessionLongFuzzTest {
    static final HostileStats STATS = new HostileStats();

    @FuzzTest(maxExecutions = 1_000_000, maxDuration = "3h")
    void hostileSender(FuzzedDataProvider data) throws IOException {
        new HostileSession(SessionFuzzTest.DIR.resolve("image.img"), STATS, Choices.of(data)).run();
    }

    @AfterAll
    static void report() {
        System.out.println("hostile input (long fuzz run): " + STATS.summary());
    }
}
