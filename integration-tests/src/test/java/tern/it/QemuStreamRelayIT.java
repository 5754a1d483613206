package tern.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tern.common.digest.DigestKind;
import tern.common.qemu.stream.DigestingSink;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamRefusedException;
import tern.common.qemu.stream.StreamSink;
import tern.common.qmp.QemuMigration;
import tern.common.qmp.QmpClient;
import tern.common.qmp.StreamMigration;
import tern.common.qmp.StreamPreflight;
import tern.receiver.stream.StreamRebuilder;
import tern.lab.qemu.GuestKit;
import tern.lab.qemu.SerialConsole;
import tern.sender.stream.StreamParser;
import tern.sender.stream.StreamTally;

/**
 * QEMU 7.2's own migration stream through Tern's parser and rebuilder, with real guests (TCG,
 * ordinary RAM: no shared memory backend). The source guest runs the kit's writer; QEMU migrates
 * into a unix socket where an in-process relay parses the stream, drops every PAGE record whose
 * digest equals the latest version forwarded of its page, rebuilds the stream and writes it into
 * a destination QEMU started with {@code -S -incoming defer}. The downtime limit starts at 1 ms,
 * so QEMU does not switch over while the guest writes, and is raised after QEMU's third pass
 * (Tern's force). The destination guest is continued once it reports completed; its heartbeats must
 * continue the source's count and its check of its whole working set must pass. That guest is then
 * migrated again, nothing dropped, to a third QEMU. Before that, on the same guest, what the relay
 * cannot carry is refused: by the QMP preflight before anything moves, and by the parser if it
 * reaches the stream anyway; and a stalled migration is cancelled (Tern's abort). The source guest
 * runs on after each.
 *
 * <p>QEMU is the system's (Debian's 7.2), or the binary named by {@code -Dtern.qemu=PATH} (QEMU 10.0
 * from bookworm-backports runs beside it unpacked with dpkg -x; its data files are then taken from
 * the binary's ../share/qemu).
 *
 * <p>The guest has 131,064 KiB of RAM, 8 KiB short of 128 MiB: QEMU 7.2's own TCG pre-copy loses
 * writes in a RAM block that is a multiple of 256 KiB (README), and here QEMU's dirty log is the
 * one Tern relies on. The tests run in order on one guest: booting it costs most of the time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QemuStreamRelayIT {
    private static final long RAM_KIB = 131_064;
    private static final GuestKit.Workload WORKLOAD = new GuestKit.Workload(GuestKit.Pattern.MIXED, 1024, 32, 0.5, 2);
    private static final Duration BOOT = Duration.ofSeconds(120);
    private static final Duration MIGRATION = Duration.ofSeconds(120);
    private static final int BUFFER = 256 * 1024;

    @TempDir
    static Path dir;
    private static GuestKit kit;
    private static final List<AutoCloseable> open = new ArrayList<>();
    private static final List<Process> qemus = new ArrayList<>();
    private static QmpClient source;
    private static SerialConsole sourceConsole;

    @BeforeAll
    static void bootSource() throws Exception {
        assumeTrue(System.getenv("CI") != null || GuestKit.qemuInstalled(),
                "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
        kit = GuestKit.build(Path.of(System.getProperty("tern.home")));
        sourceConsole = console("source");
        source = qemu("source", sourceConsole, false);
        assertNotNull(sourceConsole.await(0, l -> l.startsWith("tern-check") && l.contains(" ok "), BOOT),
                "the source guest booted and checked its memory; console: " + sourceConsole.log());
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        for (Process p : qemus) {
            p.destroyForcibly();
        }
    }

    private static SerialConsole console(String name) throws IOException {
        SerialConsole c = new SerialConsole(dir.resolve(name + ".console"));
        open.add(c);
        return c;
    }

    /** A QEMU on the kit's guest with ordinary RAM; {@code incoming}: started with -S -incoming defer. */
    private static QmpClient qemu(String name, SerialConsole console, boolean incoming) throws Exception {
        Path qmp = dir.resolve(name + ".qmp");
        List<String> cmd = GuestKit.onQemu(kit.command(RAM_KIB, null, WORKLOAD, console.port(), qmp));
        if (incoming) {
            cmd.addAll(List.of("-S", "-incoming", "defer"));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
        qemus.add(p);
        QmpClient c = QmpClient.connect(qmp, Duration.ofSeconds(30));
        open.add(c);
        return c;
    }

    @Test
    @Order(1)
    void whatTheRelayCannotCarryIsRefusedAnAbortCancelsAndTheSourceGuestRunsOn() throws Exception {
        // 1. The preflight, before anything moves: QEMU's own name for what is in the way.
        QemuMigration.setCapabilities(source, true, "xbzrle");
        IOException e = assertThrows(IOException.class, () -> StreamPreflight.check(source));
        assertTrue(e.getMessage().contains("capability xbzrle is on"), e.getMessage());
        assertNull(QemuMigration.queryMigrate(source).get("status"), "no migration was started");
        QemuMigration.setCapabilities(source, false, "xbzrle");
        assertRunsOn(sourceConsole, source);

        // 2. The parser, should such a stream reach it anyway: x-ignore-shared is announced in the
        //    configuration section, so the relay refuses before the first page; QEMU's migration
        //    fails and the guest was never stopped.
        QemuMigration.setCapabilities(source, true, "x-ignore-shared");
        try (Relay relay = new Relay(dir.resolve("refusing.sock"), null, false)) {
            StreamMigration.prepareSource(source, 300);
            StreamMigration.migrate(source, "unix:" + relay.listen);
            StreamMigration.SourceOutcome o = StreamMigration.awaitSourceEnd(source, MIGRATION);
            assertEquals("failed", o.status(), o.toString());
            assertNull(o.stoppedEpochMicros(), "the source guest was never stopped");
            Throwable refused = relay.await();
            assertInstanceOf(StreamRefusedException.class, refused);
            assertTrue(refused.getMessage().contains("x-ignore-shared on, announced in the configuration section"),
                    refused.getMessage());
            assertEquals(0, relay.tally().pageRecords() + relay.tally().zeroRecords());
        } finally {
            QemuMigration.setCapabilities(source, false, "x-ignore-shared");
        }
        assertRunsOn(sourceConsole, source);

        // 3. Abort: a relay that takes the connection and reads nothing stalls QEMU on a full
        //    socket; migrate_cancel ends the migration and the guest runs on.
        try (ServerSocketChannel stalled = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            Path sock = dir.resolve("stalled.sock");
            stalled.bind(UnixDomainSocketAddress.of(sock));
            StreamMigration.prepareSource(source, 300);
            StreamMigration.migrate(source, "unix:" + sock);
            try (SocketChannel taken = stalled.accept()) {
                assertNotNull(source.awaitEvent(ev -> ev.name().equals("MIGRATION") && "active".equals(ev.dataString("status")),
                        MIGRATION), "the migration started");
                StreamMigration.cancel(source);
                StreamMigration.SourceOutcome o = StreamMigration.awaitSourceEnd(source, MIGRATION);
                assertEquals("cancelled", o.status(), o.toString());
            }
            Files.deleteIfExists(sock);
        }
        assertRunsOn(sourceConsole, source);
    }

    @Test
    @Order(2)
    void theGuestRunsOnAtTheDestinationWithHeldPagesLeftOutThenMovesOnVerbatim() throws Exception {
        StreamPreflight.Report report = StreamPreflight.check(source);
        String machine = "pc-i440fx-" + report.major() + "." + report.minor();

        SerialConsole firstConsole = console("first");
        QmpClient first = qemu("first", firstConsole, true);
        Leg dedup = migrate(source, first, "first", true, true);
        assertEquals(machine, dedup.tally.machineType());
        // QEMU 10.0 announces the pause with MIG_CMD_SWITCHOVER_START; 7.2 only starts the END section
        assertEquals(report.major() >= 10, dedup.tally.switchoverStart(), report.version());
        assertTrue(dedup.sent.dropped() > 0, "the writer's silent stores make QEMU resend pages it already sent");
        assertTrue(((Number) dedup.passes).intValue() >= 3, "forced after QEMU's third pass: " + dedup.passes);
        assertEquals(dedup.tally.pageRecords() - dedup.sent.dropped(), dedup.rebuilder.pageRecords());
        assertRunsOnAfter(firstConsole, sourceConsole);

        SerialConsole secondConsole = console("second");
        QmpClient second = qemu("second", secondConsole, true);
        Leg verbatim = migrate(first, second, "second", false, false);
        assertEquals(verbatim.tally.pageRecords(), verbatim.rebuilder.pageRecords());
        assertEquals(verbatim.tally.zeroRecords(), verbatim.rebuilder.zeroRecords());
        // nothing dropped: the rebuilt stream differs only where it names a block the source continued
        long extra = verbatim.rebuilder.bytesWritten() - verbatim.tally.bytesRead();
        assertTrue(extra >= 0 && extra <= verbatim.tally.ramSections() * (1 + RamLayout.MAX_IDSTR), "extra bytes " + extra);
        assertRunsOnAfter(secondConsole, firstConsole);

        System.out.printf("QEMU stream relay: %d PAGE records, %d skipped as held, %d ZERO records, %d ram sections,"
                        + " %d tail bytes, guest downtime %d ms, QEMU passes %s (then verbatim: %d ms, %d bytes added)%n",
                dedup.tally.pageRecords(), dedup.sent.dropped(), dedup.tally.zeroRecords(), dedup.tally.ramSections(),
                dedup.tally.tailBytes(), dedup.downtimeMs, dedup.passes, verbatim.downtimeMs, extra);
    }

    /** One relayed migration and what was counted on the way. */
    private record Leg(StreamTally tally, DigestingSink sent, StreamRebuilder rebuilder, long downtimeMs, Object passes) {
    }

    private Leg migrate(QmpClient from, QmpClient to, String name, boolean dedup, boolean forced) throws Exception {
        StreamPreflight.check(from);
        StreamPreflight.check(to);
        Path incoming = dir.resolve(name + "-in.sock");
        StreamMigration.listen(to, "unix:" + incoming);
        awaitSocket(incoming);
        try (Relay relay = new Relay(dir.resolve(name + "-relay.sock"), incoming, dedup)) {
            // forced: a downtime limit of 1 ms does not converge while the guest writes; raised
            // once QEMU began its third pass, it switches over at its next estimate. (0 would not
            // do: QEMU 7.2 then never syncs its dirty log again and completes after the first pass.)
            StreamMigration.prepareSource(from, forced ? 1 : 300);
            StreamMigration.migrate(from, "unix:" + relay.listen);
            if (forced) {
                assertNotNull(from.awaitEvent(e -> e.name().equals("MIGRATION_PASS") && e.data().get("pass") instanceof Number n
                        && n.intValue() >= 3, MIGRATION), "QEMU's third pass");
                StreamMigration.setDowntimeLimit(from, 300);
            }
            StreamMigration.SourceOutcome out = StreamMigration.awaitSourceEnd(from, MIGRATION);
            assertTrue(out.completed(), out.toString());
            assertNull(relay.await(), "the relay carried the whole stream");
            QemuMigration.awaitIncoming(to, MIGRATION, "the stream");
            Long resumed = QemuMigration.continueGuest(to);
            assertNotNull(out.stoppedEpochMicros(), "QEMU's STOP event on the source");
            assertNotNull(resumed, "QEMU's RESUME event on the destination");

            StreamTally t = relay.tally();
            RamLayout layout = relay.layout;
            assertEquals("pc.ram", layout.block(0).idstr());
            assertEquals(RAM_KIB * 1024, layout.block(0).usedBytes());
            assertTrue(t.pageRecords() + t.zeroRecords() >= layout.pageCount(), "QEMU's first pass sends every page");
            assertEquals(List.of(StreamMilestone.GUEST_PAUSED, StreamMilestone.DEVICE_STATE), relay.milestones);
            assertTrue(t.tailBytes() > 0, t.toString());
            assertEquals("postmigrate", ((Map<?, ?>) from.execute("query-status")).get("status"));
            Object passes = out.info().get("ram") instanceof Map<?, ?> ram ? ram.get("dirty-sync-count") : null;
            // invariant 1: the sender's table of the latest versions forwarded and the receiver's
            // of what it wrote into the destination give one root
            assertArrayEquals(relay.sent.digests().root(), relay.received.digests().root());
            return new Leg(t, relay.sent, relay.rebuilder, (resumed - out.stoppedEpochMicros()) / 1000, passes);
        }
    }

    /** migrate-incoming returns before QEMU's listening socket exists on some hosts; the relay connects once it does. */
    private static void awaitSocket(Path socket) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(socket) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /** The guest behind {@code qmp} is running and its console shows a heartbeat after now. */
    private static void assertRunsOn(SerialConsole console, QmpClient qmp) throws Exception {
        assertEquals("running", ((Map<?, ?>) qmp.execute("query-status")).get("status"));
        int from = console.size();
        assertNotNull(console.await(from, l -> l.startsWith("tern-hb"), Duration.ofSeconds(60)), "a heartbeat after the refusal");
    }

    private static void assertRunsOnAfter(SerialConsole destination, SerialConsole source) throws InterruptedException {
        Heartbeats.assertRunsOnAfter(destination, source, 8192, BOOT);
    }


    /**
     * The relay of this test: accepts the source QEMU's one connection on {@code listen}, parses
     * it, drops held pages ({@code dedup}) and writes the rebuilt stream into {@code destination}
     * (null: nowhere). Its thread ends with the stream, or with the parser's refusal, closing both
     * sockets: a source whose socket closes fails its migration.
     */
    private static final class Relay implements AutoCloseable, StreamSink {
        final Path listen;
        final List<StreamMilestone> milestones = new CopyOnWriteArrayList<>();
        private final ServerSocketChannel server;
        private final Path destination;
        private final boolean dedup;
        private final Thread thread;
        private volatile Throwable failure;
        private volatile StreamParser parser;
        /** The sender's table (and, with dedup, its filter) and the receiver's, on either side of the link. */
        DigestingSink sent;
        DigestingSink received;
        StreamRebuilder rebuilder;
        volatile RamLayout layout;

        Relay(Path listen, Path destination, boolean dedup) throws IOException {
            this.listen = listen;
            this.destination = destination;
            this.dedup = dedup;
            this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(listen));
            this.thread = new Thread(this::run, "relay-" + listen.getFileName());
            thread.start();
        }

        private void run() {
            try (SocketChannel from = server.accept();
                 SocketChannel to = destination == null ? null : SocketChannel.open(UnixDomainSocketAddress.of(destination))) {
                rebuilder = new StreamRebuilder(to != null ? to : Channels.newChannel(OutputStream.nullOutputStream()), BUFFER);
                received = DigestingSink.recording(DigestKind.SHA256, rebuilder);
                sent = dedup ? DigestingSink.dropHeld(DigestKind.SHA256, received) : DigestingSink.recording(DigestKind.SHA256, received);
                parser = new StreamParser(from, BUFFER);
                parser.run(this);
            } catch (Throwable t) {
                failure = t;
            }
        }

        /** Waits for the relay's end; its failure, or null. */
        Throwable await() throws InterruptedException {
            thread.join(MIGRATION.toMillis());
            assertFalse(thread.isAlive(), "the relay ended");
            return failure;
        }

        StreamTally tally() {
            return parser.tally();
        }

        @Override
        public void opaque(ByteBuffer bytes) throws IOException {
            sent.opaque(bytes);
        }

        @Override
        public void layout(RamLayout l) throws IOException {
            layout = l;
            sent.layout(l);
        }

        @Override
        public void page(int page, ByteBuffer bytes) throws IOException {
            sent.page(page, bytes);
        }

        @Override
        public void zero(int page) throws IOException {
            sent.zero(page);
        }

        @Override
        public void milestone(StreamMilestone m) throws IOException {
            milestones.add(m);
            sent.milestone(m);
        }

        @Override
        public void end() throws IOException {
            sent.end();
        }

        @Override
        public void close() throws IOException {
            server.close();
            Files.deleteIfExists(listen);
        }
    }
}
