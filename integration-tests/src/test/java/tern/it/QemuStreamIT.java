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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tern.common.json.JsonObjects;
import tern.common.log.Log;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.testing.ResettingProxy;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;
import tern.lab.process.TernHome;
import tern.lab.qemu.GuestKit;
import tern.lab.qemu.SerialConsole;

/**
 * Tern as the transport of QEMU's own migration stream, with tern-sender and tern-receiver as
 * real processes over gRPC and real guests (TCG, ordinary RAM: no shared memory backend). On one
 * booted guest, in order: a capability the relay cannot carry is refused before anything moves
 * and the guest runs on; the guest is migrated to a destination QEMU the receiver starts, and
 * quit at the source (--after-success kill); that guest is migrated on again through a TCP proxy
 * that resets the connection mid-stream, and the migration resumes and completes. Each time the
 * destination guest's heartbeats continue the source's count and its check of its whole working
 * set passes. Last, a sender stopped by SIGTERM mid-stream cancels QEMU's migration and tells the
 * receiver, and the guest runs on where it was.
 *
 * <p>The guest has 131,064 KiB of RAM, 8 KiB short of 128 MiB: QEMU 7.2's own TCG pre-copy loses
 * writes in a RAM block that is a multiple of 256 KiB (docs/qemu.md), and here QEMU's dirty log
 * is the one Tern relies on. {@code -Dtern.qemu=PATH} runs every QEMU from another binary
 * (integration-tests/guest/qemu10.sh).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QemuStreamIT {
    private static final long RAM_KIB = 131_064;
    private static final GuestKit.Workload WORKLOAD = new GuestKit.Workload(GuestKit.Pattern.MIXED, 1024, 32, 0.5, 2);
    private static final Duration BOOT = Duration.ofSeconds(120);
    private static final Duration RUN = Duration.ofSeconds(180);

    @TempDir
    static Path dir;
    private static GuestKit kit;
    private static ProcessGroup processes;
    private static final List<AutoCloseable> open = new ArrayList<>();
    /** The guest now running, where the next test migrates it from. */
    private static Guest current;

    /** A QEMU of the test guest: its serial console, Tern's QMP socket and the test's own. */
    private record Guest(String name, SerialConsole console, Path ctl, QmpClient observer, Path pidFile) {
    }

    @BeforeAll
    static void bootSource() throws Exception {
        assumeTrue(System.getenv("CI") != null || GuestKit.qemuInstalled(),
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        kit = GuestKit.build(Path.of(System.getProperty("tern.home")));
        processes = new ProcessGroup(TernHome.find(), dir);
        SerialConsole console = console("source");
        Path ctl = dir.resolve("source-ctl.qmp");
        Path obs = dir.resolve("source-obs.qmp");
        processes.start("source-qemu", command(console, ctl, obs));
        assertNotNull(console.await(0, l -> l.startsWith("tern-check") && l.contains(" ok "), BOOT),
                "the source guest booted and checked its memory; console: " + console.log());
        current = new Guest("source", console, ctl, observer(obs), null);
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (processes != null) {
            processes.close();
        }
        for (String name : List.of("first", "second", "signalled")) {
            Path pid = dir.resolve(name + ".pid");
            if (Files.exists(pid)) {
                // a destination QEMU outlives the receiver that started it, as it must in production
                ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static SerialConsole console(String name) throws IOException {
        SerialConsole c = new SerialConsole(dir.resolve(name + ".console"));
        open.add(c);
        return c;
    }

    /** The guest's QEMU with ordinary RAM, Tern's QMP socket {@code ctl} and the test's {@code obs}. */
    private static List<String> command(SerialConsole console, Path ctl, Path obs) {
        List<String> cmd = GuestKit.onQemu(kit.command(RAM_KIB, null, WORKLOAD, console.port(), ctl));
        cmd.addAll(List.of("-qmp", "unix:" + obs + ",server=on,wait=off"));
        return cmd;
    }

    private static QmpClient observer(Path socket) throws Exception {
        QmpClient c = QmpClient.connect(socket, Duration.ofSeconds(60));
        open.add(c);
        return c;
    }

    @Test
    @Order(1)
    void aCapabilityTheRelayCannotCarryIsRefusedBeforeAnythingMoves() throws Exception {
        QmpClient qmp = current.observer();
        QemuMigration.setCapabilities(qmp, true, "xbzrle");
        try {
            // no receiver at all: the refusal comes before the sender touches the network
            ChildProcess sender = processes.start("sender-refused", processes.tool("tern-sender", "--to", "127.0.0.1:9",
                    "--source", "qemu-stream:qmp=" + current.ctl(), "--quiet"));
            assertEquals(1, sender.awaitExit(RUN), sender.outputs());
            String err = sender.stderr();
            assertTrue(err.contains("capability xbzrle is on") && err.contains("nothing was moved")
                    && err.contains("the source guest runs on"), sender.outputs());
            assertEquals(1, err.lines().count(), "one line says what happened: " + err);
        } finally {
            QemuMigration.setCapabilities(qmp, false, "xbzrle");
        }
        assertNull(QemuMigration.queryMigrate(qmp).get("status"), "no migration was started");
        assertEquals("running", ((Map<?, ?>) qmp.execute("query-status")).get("status"));
        int from = current.console().size();
        assertNotNull(current.console().await(from, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60)),
                "the source guest runs on after the refusal");
    }

    @Test
    @Order(2)
    void theGuestRunsOnAtTheDestinationAndTheSourceIsQuit() throws Exception {
        Guest from = current;
        Migration m = migrate(from, "first", null, "--after-success", "kill");
        assertTrue(m.sender.stdout().contains("the source QEMU was quit"), m.sender.outputs());
        assertEquals(0L, m.summary.get("reconnects"), m.summary.toString());
        assertDestinationRunsOn(m.to, from);
        current = m.to;
    }

    @Test
    @Order(3)
    void aConnectionResetMidStreamIsResumedAndTheGuestRunsOn() throws Exception {
        Guest from = current;
        Migration m = migrate(from, "second", 1);
        assertEquals(1L, m.summary.get("reconnects"), m.summary.toString());
        assertTrue(m.sender.stdout().contains("(reconnect 1)") && m.sender.stdout().contains("resending"), m.sender.outputs());
        assertTrue(m.receiver.stdout().contains("resumed (resume 1)"), m.receiver.outputs());
        assertEquals("postmigrate", ((Map<?, ?>) from.observer().execute("query-status")).get("status"),
                "stay-paused leaves the source guest paused once the destination runs");
        assertDestinationRunsOn(m.to, from);
        current = m.to;
    }

    @Test
    @Order(4)
    void aSenderStoppedBySigtermMidStreamLeavesTheGuestRunning() throws Exception {
        Guest from = current;
        List<String> receiverArgs = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--qemu-stream",
                "--qemu-log", dir.resolve("signalled-qemu.log").toString(), "--"));
        receiverArgs.addAll(command(console("signalled"), dir.resolve("signalled-ctl.qmp"), dir.resolve("signalled-obs.qmp")));
        receiverArgs.addAll(List.of("-pidfile", dir.resolve("signalled.pid").toString()));
        ProcessGroup.Receiver receiver = processes.startReceiver("receiver-signalled", receiverArgs.toArray(String[]::new));
        Path stats = dir.resolve("signalled.stats.jsonl");
        ChildProcess sender = processes.start("sender-signalled", processes.tool("tern-sender", "--to", receiver.to(),
                "--source", "qemu-stream:qmp=" + from.ctl(), "--bandwidth", "16MiB", "--stats", stats.toString()));
        sender.awaitStdoutLine(l -> l.startsWith("relaying QEMU's stream"), RUN);
        sender.signal("TERM");
        assertEquals(143, sender.awaitExit(RUN), sender.outputs());
        List<String> err = sender.stderrLines().stream().map(Log::untimed).toList();
        assertEquals(1, err.size(), "one line says what happened: " + sender.outputs());
        assertTrue(err.get(0).startsWith("tern-sender: interrupted by SIGTERM ")
                && err.get(0).contains(": the source guest runs on") && err.get(0).endsWith("the receiver ended the migration"),
                sender.outputs());
        assertEquals(1, receiver.process().awaitExit(RUN), receiver.process().outputs());
        assertTrue(receiver.process().stderr().contains("cancelled by the sender: interrupted by SIGTERM"),
                receiver.process().outputs());
        // ended at the source, never completed: "cancelled" when the hook's migrate_cancel comes first,
        // "failed" when the relay, abandoned, closed QEMU's socket first (QemuStreamSender.relay)
        Object status = QemuMigration.queryMigrate(from.observer()).get("status");
        assertTrue("cancelled".equals(status) || "failed".equals(status), "QEMU's migration ended: " + status);
        assertEquals("running", ((Map<?, ?>) from.observer().execute("query-status")).get("status"));
        List<String> lines = Files.readAllLines(stats);
        Map<String, Object> summary = JsonObjects.parse(lines.get(lines.size() - 1));
        assertEquals("summary", summary.get("type"), "the stats file ends with a summary: " + lines);
        assertEquals(false, summary.get("verified"), summary.toString());
        int after = from.console().size();
        assertNotNull(from.console().await(after, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60)),
                "the source guest runs on after the signalled sender");
    }

    private record Migration(ChildProcess sender, ChildProcess receiver, Guest to, Map<String, Object> summary,
                             Map<String, Object> stream) {
    }

    /**
     * Migrates {@code from} to a new destination QEMU the receiver starts; with {@code resets},
     * through a proxy that resets the connection that many times once the stream flows.
     */
    private Migration migrate(Guest from, String name, Integer resets, String... senderArgs) throws Exception {
        SerialConsole console = console(name);
        Path ctl = dir.resolve(name + "-ctl.qmp");
        Path obs = dir.resolve(name + "-obs.qmp");
        Path pid = dir.resolve(name + ".pid");
        List<String> receiverArgs = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--qemu-stream",
                "--qemu-log", dir.resolve(name + "-qemu.log").toString(), "--"));
        receiverArgs.addAll(command(console, ctl, obs));
        receiverArgs.addAll(List.of("-pidfile", pid.toString()));
        ProcessGroup.Receiver started = processes.startReceiver("receiver-" + name, receiverArgs.toArray(String[]::new));
        ResettingProxy proxy = resets == null ? null : new ResettingProxy(started.port());
        if (proxy != null) {
            open.add(proxy);
        }
        String to = proxy == null ? started.to() : "127.0.0.1:" + proxy.address().getPort();
        Path stats = dir.resolve(name + ".stats.jsonl");
        List<String> args = new ArrayList<>(List.of("--to", to, "--source", "qemu-stream:qmp=" + from.ctl(),
                "--bandwidth", "32MiB", "--keepalive", "1s", "--resume-timeout", "30s", "--stats", stats.toString()));
        args.addAll(List.of(senderArgs));
        ChildProcess sender = processes.start("sender-" + name, processes.tool("tern-sender", args.toArray(String[]::new)));
        if (proxy != null) {
            for (int i = 1; i <= resets; i++) {
                int n = i;
                // once the relay has the receiver's accept, the stream is flowing through the proxy
                sender.awaitStdoutLine(l -> l.startsWith(n == 1 ? "relaying QEMU's stream" : "resumed after"), RUN);
                // mid-stream: chunks have reached the receiver on this connection (4 MiB is more than
                // its HTTP/2 windows hold), so the migration is one a receiver holds for a resume
                assertTrue(proxy.awaitForwarded(proxy.forwarded() + (4 << 20), RUN), "the stream flows through the proxy");
                assertTrue(proxy.resetAll() > 0, "the proxy reset a connection");
            }
        }
        int exit;
        try {
            exit = sender.awaitExit(RUN);
        } catch (IOException e) {
            // a sender that hangs: what the receiver said is half the story
            throw new IOException(e.getMessage() + "\n" + started.process().outputs(), e);
        }
        assertEquals(0, exit, sender.outputs() + started.process().outputs());
        ChildProcess receiver = started.process();
        assertEquals(0, receiver.awaitExit(RUN), receiver.outputs());
        assertTrue(receiver.stdout().contains("guest handed over: destination QEMU pid"), receiver.outputs());
        assertTrue(sender.stdout().contains("guest handed over: destination QEMU pid"), sender.outputs());
        Map<String, Object> summary = null;
        Map<String, Object> stream = null;
        for (String l : Files.readAllLines(stats)) {
            Map<String, Object> o = JsonObjects.parse(l);
            if ("summary".equals(o.get("type"))) {
                summary = o;
            } else if ("qemu-stream".equals(o.get("type"))) {
                stream = o;
            }
        }
        assertNotNull(summary, "a summary line in " + stats);
        assertNotNull(stream, "a qemu-stream line in " + stats);
        assertEquals(true, summary.get("verified"), summary.toString());
        assertTrue((Long) stream.get("guest_downtime_ms") >= 0, stream.toString());
        assertTrue((Long) stream.get("stream_pages") + (Long) stream.get("stream_zero_records") >= RAM_KIB / 4,
                "QEMU's first pass sends every page, as PAGE or ZERO: " + stream);
        assertEquals(stream.get("qemu_dirty_sync_count"), summary.get("iterations"),
                "the iterations are QEMU's passes: " + summary + " " + stream);
        return new Migration(sender, receiver, new Guest(name, console, ctl, observer(obs), pid), summary, stream);
    }

    /** The destination guest runs, continues the source's heartbeats and stores, and its memory check passes. */
    private static void assertDestinationRunsOn(Guest to, Guest from) throws Exception {
        assertEquals("running", ((Map<?, ?>) to.observer().execute("query-status")).get("status"));
        Heartbeats.assertRunsOnAfter(to.console(), from.console(), 8192, BOOT);
    }
}
