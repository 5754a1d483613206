package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tern.common.log.Log;
import tern.common.json.JsonObjects;
import tern.common.qmp.QmpClient;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;
import tern.lab.qemu.GuestKit;
import tern.lab.qemu.SerialConsole;

/**
 * A real QEMU guest (TCG) migrated by Tern with sender and receiver as separate processes: the
 * receiver starts the destination QEMU on its image, the sender pauses the source through QMP,
 * moves the RAM and hands the device state over. The destination guest must run on — heartbeats
 * after the switchover, continuing the source's count — and its own check of every page of its
 * workload must pass. Before that, on the same guest, a hand-off to an address where no QEMU
 * listens must fail with QEMU's own error, and a destination QEMU that does not map the image
 * must make the receiver refuse the verdict, and a sender stopped by SIGTERM with the guest paused
 * for its stop-and-copy must continue it; each leaves the source guest running.
 *
 * The guest's RAM is 128 MiB, a multiple of 256 KiB: the size at which QEMU 7.2's own TCG
 * pre-copy loses writes (docs/qemu.md); Tern never trusts QEMU's dirty log, so it moves it intact.
 */
class QemuGuestIT extends ProcessTest {
    private static final long RAM_KIB = 128 * 1024;
    private static final GuestKit.Workload WORKLOAD = new GuestKit.Workload(GuestKit.Pattern.MIXED, 1024, 32, 0.5, 2);
    private static final Duration BOOT = Duration.ofSeconds(120);

    private final List<AutoCloseable> open = new ArrayList<>();
    private Path destinationPid;

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (destinationPid != null && Files.exists(destinationPid)) {
            // the destination QEMU outlives the receiver that started it, as it must in production
            ProcessHandle.of(Long.parseLong(Files.readString(destinationPid).strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private SerialConsole console(String name) throws IOException {
        SerialConsole c = new SerialConsole(dir.resolve(name + ".console"));
        open.add(c);
        return c;
    }

    @Test
    void guestRunsOnAtTheDestinationAndAFailedHandOffLeavesTheSourceRunning() throws Exception {
        boolean ci = System.getenv("CI") != null;
        assumeTrue(ci || GuestKit.qemuInstalled(), "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        GuestKit kit = GuestKit.build(Path.of(System.getProperty("tern.home")));
        Path shm = shmDir();
        Path srcRam = shm.resolve("source.ram");
        Path srcQmp = dir.resolve("source.qmp");

        SerialConsole srcConsole = console("source");
        ChildProcess sourceQemu = processes.start("source-qemu", kit.command(RAM_KIB, srcRam, WORKLOAD, srcConsole.port(), srcQmp));
        assertNotNull(srcConsole.await(0, l -> l.startsWith("tern-check") && l.contains(" ok "), BOOT),
                "the source guest booted and checked its memory; console: " + srcConsole.log());

        // 1. A hand-off to a port where nothing listens: Tern's part verifies, QEMU's migrate fails,
        //    the sender exits 1 with QEMU's error and the source guest was continued.
        ProcessGroup.Receiver plainReceiver = processes.startReceiver("receiver-plain", "--listen", "127.0.0.1:0",
                "--image", shm.resolve("plain.img").toString());
        ChildProcess plain = plainReceiver.process();
        int plainPort = plainReceiver.port();
        int deadPort = GuestKit.freePort();
        ChildProcess failing = processes.start("sender-failing", processes.tool("tern-sender", "--to", "127.0.0.1:" + plainPort,
                "--source", "qemu:" + srcRam + ",qmp=" + srcQmp + ",handoff=tcp:127.0.0.1:" + deadPort, "--quiet"));
        assertEquals(1, failing.awaitExit(), failing.outputs());
        assertTrue(failing.stderr().contains("device-state hand-off to tcp:127.0.0.1:" + deadPort + " failed")
                && failing.stderr().contains("source guest was continued"), failing.outputs());
        assertEquals(0, plain.awaitExit(), plain.outputs());
        try (QmpClient qmp = QmpClient.connect(srcQmp, Duration.ofSeconds(30))) {
            assertEquals("running", ((Map<?, ?>) qmp.execute("query-status")).get("status"));
            for (Object c : (List<?>) qmp.execute("query-migrate-capabilities")) {
                if ("x-ignore-shared".equals(((Map<?, ?>) c).get("capability"))) {
                    assertEquals(Boolean.FALSE, ((Map<?, ?>) c).get("state"),
                            "x-ignore-shared is cleared: a later plain QEMU migration must move the RAM");
                }
            }
        }
        int afterFailure = srcConsole.size();
        assertNotNull(srcConsole.await(afterFailure, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60)),
                "the source guest runs on after the failed hand-off");

        // 1b. SIGTERM to the sender while the guest is paused for the stop-and-copy (QMP stop): the
        //     sender continues it, says so in one line and exits 143; the receiver, told by the
        //     Cancel, ends the migration; the guest runs on.
        ProcessGroup.Receiver sigReceiver = processes.startReceiver("receiver-signalled", "--listen", "127.0.0.1:0",
                "--image", shm.resolve("signalled.img").toString());
        ChildProcess signalled = processes.start("sender-signalled", processes.tool("tern-sender", "--to", sigReceiver.to(),
                "--source", "qemu:" + srcRam + ",qmp=" + srcQmp, "--bandwidth", "16MiB", "--max-iterations", "1"));
        sigReceiver.process().awaitStdoutLine("iteration 2 (stop-and-copy)"::equals, BOOT);
        signalled.signal("TERM");
        assertEquals(143, signalled.awaitExit(), signalled.outputs());
        assertEquals(List.of("tern-sender: interrupted by SIGTERM during stop-and-copy (iteration 2): source resumed"
                + " (guest running); the receiver ended the migration"), signalled.stderrLines().stream().map(Log::untimed).toList(),
                signalled.outputs());
        assertEquals(1, sigReceiver.process().awaitExit(), sigReceiver.process().outputs());
        assertTrue(sigReceiver.process().stderr().contains("cancelled by the sender: interrupted by SIGTERM"),
                sigReceiver.process().outputs());
        assertTrue(sourceQemu.isAlive(), "the source QEMU runs on" + processes.outputs() + srcConsole.log());
        try (QmpClient qmp = QmpClient.connect(srcQmp, Duration.ofSeconds(30))) {
            assertEquals("running", ((Map<?, ?>) qmp.execute("query-status")).get("status"));
        }
        int afterSignal = srcConsole.size();
        assertNotNull(srcConsole.await(afterSignal, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60)),
                "the source guest runs on after the signalled sender");

        // 2. A RAM file that is not the guest's is refused before anything moves, naming both.
        Path stranger = shm.resolve("stranger.ram");
        Files.write(stranger, new byte[4096]);
        ChildProcess refused = processes.start("sender-stranger", processes.tool("tern-sender", "--to", "127.0.0.1:9",
                "--source", "qemu:" + stranger + ",qmp=" + srcQmp));
        assertEquals(1, refused.awaitExit(), refused.outputs());
        assertTrue(refused.stderr().contains("has no memory-backend-file with mem-path=" + stranger)
                && refused.stderr().contains(srcRam.toString()), refused.outputs());

        // 3. A destination QEMU whose RAM is not the receiver's image: the receiver refuses the
        //    verdict saying so, the sender exits 1 and the source guest runs on.
        Path elsewhere = shm.resolve("elsewhere.ram");
        List<String> wrongArgs = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--image",
                shm.resolve("wrong.img").toString(), "--qemu-incoming", "tcp:127.0.0.1:" + GuestKit.freePort(), "--"));
        wrongArgs.addAll(kit.command(RAM_KIB, elsewhere, WORKLOAD, console("wrong-destination").port(), null));
        ProcessGroup.Receiver wrong = processes.startReceiver("receiver-wrong-ram", wrongArgs.toArray(String[]::new));
        ChildProcess wrongReceiver = wrong.process();
        int wrongPort = wrong.port();
        ChildProcess refusedSender = processes.start("sender-wrong-ram", processes.tool("tern-sender", "--to", "127.0.0.1:" + wrongPort,
                "--source", "qemu:" + srcRam + ",qmp=" + srcQmp + ",handoff=tcp:127.0.0.1:" + deadPort, "--quiet"));
        assertEquals(1, refusedSender.awaitExit(), refusedSender.outputs() + wrongReceiver.outputs());
        assertTrue(refusedSender.stderr().contains("image verified, but")
                && refusedSender.stderr().contains("has no memory-backend-file with mem-path=" + shm.resolve("wrong.img")),
                refusedSender.outputs());
        assertEquals(1, wrongReceiver.awaitExit(), wrongReceiver.outputs());
        int afterRefusal = srcConsole.size();
        assertNotNull(srcConsole.await(afterRefusal, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60)),
                "the source guest runs on after the refused verdict");

        // 4. The hand-off: the receiver starts the destination QEMU on its image.
        Path dstRam = shm.resolve("destination.ram");
        SerialConsole dstConsole = console("destination");
        destinationPid = dir.resolve("destination.pid");
        int incoming = GuestKit.freePort();
        List<String> receiverArgs = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--image", dstRam.toString(),
                "--qemu-incoming", "tcp:127.0.0.1:" + incoming, "--qemu-log", dir.resolve("destination-qemu.log").toString(),
                "--"));
        receiverArgs.addAll(kit.command(RAM_KIB, dstRam, WORKLOAD, dstConsole.port(), null));
        receiverArgs.addAll(List.of("-pidfile", destinationPid.toString()));
        ProcessGroup.Receiver started = processes.startReceiver("receiver", receiverArgs.toArray(String[]::new));
        ChildProcess receiver = started.process();
        int port = started.port();
        Path stats = dir.resolve("stats.jsonl");
        int lastSourceBeat = Heartbeats.last(srcConsole)[0];
        ChildProcess sender = processes.start("sender", processes.tool("tern-sender", "--to", "127.0.0.1:" + port,
                "--source", "qemu:" + srcRam + ",qmp=" + srcQmp + ",handoff=tcp:127.0.0.1:" + incoming,
                "--bandwidth", "64MiB", "--stats", stats.toString()));
        assertEquals(0, sender.awaitExit(), sender.outputs() + receiver.outputs());
        assertEquals(0, receiver.awaitExit(), receiver.outputs());
        assertTrue(receiver.stdout().contains("guest handed over: destination QEMU pid"), receiver.outputs());
        List<String> statLines = Files.readAllLines(stats);
        Map<String, Object> summary = JsonObjects.parse(statLines.get(statLines.size() - 2));
        assertEquals(true, summary.get("verified"));
        assertTrue(statLines.get(statLines.size() - 1).contains("\"type\":\"handoff\""), statLines.toString());

        // The destination guest runs on: its heartbeats continue the source's count, its stores
        // go on, and a full check of its memory after the switchover passes.
        SerialConsole.Line beat = dstConsole.await(0, l -> l.startsWith("tern-hb"), BOOT);
        assertNotNull(beat, "a heartbeat from the destination guest; console: " + dstConsole.log());
        int[] src = Heartbeats.last(srcConsole);
        Matcher first = Heartbeats.HB.matcher(beat.text());
        assertTrue(first.matches(), beat.text());
        assertTrue(Integer.parseInt(first.group(1)) > src[0] && src[0] >= lastSourceBeat,
                "destination heartbeat " + beat.text() + " continues the source's last (seq " + src[0] + ")");
        assertTrue(Long.parseLong(first.group(2)) >= src[1], "stores continue from the source's " + src[1]);
        SerialConsole.Line check = dstConsole.await(0, l -> l.startsWith("tern-check"), BOOT);
        assertNotNull(check, "a memory check on the destination; console: " + dstConsole.log());
        assertTrue(check.text().contains(" ok pages=8192"), check.text());
        SerialConsole.Line later = dstConsole.await(dstConsole.lines().indexOf(check) + 1, l -> l.startsWith("tern-hb"), BOOT);
        assertNotNull(later, "heartbeats go on after the check");
        assertNull(dstConsole.await(0, l -> l.contains("BAD") || l.contains("tern-error"), Duration.ZERO),
                "no failed check on the destination");
    }
}
