package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tern.common.json.JsonObjects;
import tern.lab.process.ChildProcess;
import tern.lab.qemu.GuestKit;

/**
 * The short two-host trial CI runs: integration-tests/netns/tern-netns-trial puts the receiver and
 * the sender in two network namespaces joined by a rate-shaped veth pair, resets the connection
 * three times with ss -K and holds the link down longer than the keepalive once. The migration
 * must reconnect exactly four times, verify with equal roots on both sides, and resend at most
 * what was in flight each time. The stream-path mode moves a real QEMU guest by its own migration
 * stream through Tern across the namespaces, over mutual TLS, through two resets and a 10 s outage:
 * the guest must run on at the destination with its memory check good, while QEMU's own migration
 * across the same link fails at the first of the same events and its guest runs on at the source.
 * Skipped only where `ip netns add` itself fails (the script exits 77 and says why), and never
 * under CI, where that is a failure: CI must run it.
 */
class NetnsTrialIT extends ProcessTest {
    private static final int RESETS = 3;
    private static final int BATCH_PAGES = 64;
    private static final int WINDOW = 16;

    @Test
    void resetsAndADarkLinkAreSurvivedAcrossNamespaces() throws Exception {
        ChildProcess trial = trial("netns-trial", Duration.ofSeconds(240), "--resets", Integer.toString(RESETS),
                "--hold-down", "3", "--keepalive", "1s", "--memory", "32MiB", "--rate", "100mbit",
                "--out", dir.resolve("trial").toString());
        String last = trial.stdoutLines().get(trial.stdoutLines().size() - 1);
        Map<String, Object> f = JsonObjects.parse(last);
        assertEquals("netns-trial", f.get("type"), last);
        int events = RESETS + 1;
        assertEquals((long) events, f.get("reconnects"), "one reconnect per reset and one after the outage: " + last);
        assertEquals(true, f.get("verified"), last);
        assertEquals(true, f.get("tls"), "the trial runs over mutual TLS: " + last);
        assertEquals(true, f.get("roots_equal"), last);
        long resent = (Long) f.get("pages_resent");
        long bound = (long) events * (WINDOW + 1) * BATCH_PAGES;
        assertTrue(resent <= bound, "resent " + resent + " pages, more than in flight at " + events + " losses (" + bound + ")");
        assertTrue(trial.stdout().contains("ss -K closed 1 connection(s)"), "the resets reset a connection" + trial.outputs());
        Matcher m = Pattern.compile("\\((tern-tx-[0-9a-f]+),.*\\((tern-rx-[0-9a-f]+),").matcher(trial.stdout());
        assertTrue(m.find(), "the trial names its namespaces" + trial.outputs());
        String namespaces = netnsList();
        assertFalse(namespaces.contains(m.group(1)) || namespaces.contains(m.group(2)),
                "the trial removed its namespaces: " + namespaces);
    }

    @Test
    void aQemuGuestMovedByItsOwnStreamSurvivesResetsAndAnOutageWhereQemusOwnMigrationFails() throws Exception {
        boolean ci = System.getenv("CI") != null;
        assumeTrue(ci || GuestKit.qemuInstalled(),
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        ChildProcess trial = trial("netns-stream-trial", Duration.ofSeconds(300), "--qemu-stream", "--resets", "2",
                "--hold-down", "10", "--keepalive", "1s", "--out", dir.resolve("stream-trial").toString());
        String last = trial.stdoutLines().get(trial.stdoutLines().size() - 1);
        Map<String, Object> f = JsonObjects.parse(last);
        assertEquals("qemu-stream", f.get("mode"), last);
        assertEquals(true, f.get("tls"), "the trial runs over mutual TLS: " + last);
        assertEquals(3L, f.get("reconnects"), "one reconnect per reset and one after the outage: " + last);
        assertEquals(true, f.get("verified"), last);
        assertEquals("ok", f.get("destination_check"), "the destination guest's check of its memory: " + last);
        assertEquals(true, f.get("heartbeats_continue"), "the destination guest continues the source's count: " + last);
        @SuppressWarnings("unchecked")
        Map<String, Object> qemu = (Map<String, Object>) f.get("qemu_own");
        assertEquals("failed", qemu.get("status"), "QEMU's own migration fails at the first reset: " + last);
        assertEquals("running", qemu.get("source_status"), last);
        assertEquals(true, f.get("qemu_source_runs_on"), "QEMU's own source guest runs on after its failure: " + last);
    }

    /**
     * Runs the trial script with {@code args} to its end: skipped where `ip netns add` itself fails
     * (exit 77, which is a failure under CI), failed unless it exits 0.
     */
    private ChildProcess trial(String name, Duration timeout, String... args) throws Exception {
        Path script = Path.of(System.getProperty("tern.home"), "integration-tests", "netns", "tern-netns-trial");
        assertTrue(Files.isExecutable(script), script + " is missing or not executable");
        List<String> cmd = new java.util.ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ChildProcess trial = processes.start(name, cmd);
        int rc = trial.awaitExit(timeout);
        if (rc == 77) {
            String why = "netns trial skipped: " + trial.stderr();
            assertNull(System.getenv("CI"), "under CI the two-namespace trial must run; " + why);
            abort(why);
        }
        assertEquals(0, rc, "trial exit code" + trial.outputs());
        return trial;
    }

    private static String netnsList() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes());
    }
}
