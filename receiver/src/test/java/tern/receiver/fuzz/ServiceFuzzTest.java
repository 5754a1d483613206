package tern.receiver.fuzz;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of the receiver's service layer through {@link HostilePeer}: a real
 * server on loopback and raw HTTP/2 frames, so length prefixes, compression flags, partial
 * messages and resets reach the service as a peer sends them. The short run CI makes (its own
 * `fuzz-service` surefire execution: one fuzz test per JVM); without JAZZER_FUZZ, JUnit runs only
 * the stored inputs, as a regression test.
 */
class ServiceFuzzTest {
    static final HostileStats STATS = new HostileStats();
    static final HostilePeer.Target TARGET = HostilePeer.Target.start(SessionFuzzTest.DIR);

    @FuzzTest(maxDuration = "15s")
    void hostilePeer(FuzzedDataProvider data) throws Exception {
        // the peer's connection goes to the receiver on loopback, which Jazzer's SSRF detector would report
        try (SilentCloseable loopback = BugDetectors.allowNetworkConnections(HostilePeer::loopback)) {
            new HostilePeer(TARGET, STATS, Choices.of(data)).run();
        }
    }

    @AfterAll
    static void report() {
        System.out.println("hostile peer (short fuzz run): " + STATS.peerSummary());
    }
}
