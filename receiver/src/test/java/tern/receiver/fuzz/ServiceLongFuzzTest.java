package tern.receiver.fuzz;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/**
 * The service layer's long fuzz run (docs/hostile-input.md), one command:
 * {@code ./mvnw -q install -DskipTests && ./mvnw -pl receiver test -Pfuzz-long}. One million
 * executions of the same target as {@link ServiceFuzzTest}, starting from its stored inputs.
 */
class ServiceLongFuzzTest {
    static final HostileStats STATS = new HostileStats();

    @FuzzTest(maxExecutions = 1_000_000, maxDuration = "6h")
    void hostilePeer(FuzzedDataProvider data) throws Exception {
        // the peer's connection goes to the receiver on loopback, which Jazzer's SSRF detector would report
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections(HostilePeer::loopback)) {
            new HostilePeer(ServiceFuzzTest.TARGET, STATS, Choices.of(data)).run();
        }
    }

    @AfterAll
    static void report() {
        System.out.println("hostile peer (long fuzz run): " + STATS.peerSummary());
    }
}
