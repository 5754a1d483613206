package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static tern.common.qemu.stream.QemuStreamBuilder.block;
import static tern.common.qemu.stream.QemuStreamBuilder.pageBytes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tern.common.qemu.stream.ChunkedChannel;
import tern.common.qemu.stream.QemuStreamBuilder;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.RecordingSink;
import tern.common.testing.ResettingProxy;
import tern.proto.QemuStreamHello;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;
import tern.receiver.stream.StreamDestination;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineListener;
import tern.sender.engine.MigrationFailure;
import tern.sender.transport.MigrationChannel;

/**
 * The sender's relay and a real receiver over real gRPC, without QEMU: a hand-built QEMU stream
 * goes in through a unix socket as QEMU's would, and the receiver writes what it rebuilds into a
 * destination that keeps the bytes. The rebuilt stream must load as the source's (every opaque
 * byte, the latest version of every page) with the held pages left out, also when the connection
 * is reset mid-stream: the link resumes and resends, in order, the chunks the receiver lacks.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamRelayTest {
    private static final RamLayout.Entry RAM = block("pc.ram", 64 * 4096);
    private static final RamLayout.Entry ROM = block("pc.rom", 4 * 4096);
    /** Chunks of 3 pages: the first half of the stream makes about 20 of them. */
    private static final int RESET_AFTER_CHUNKS = 8;

    @TempDir
    Path dir;

    /** QEMU's three passes over 64 pages: all of them, then every page again (odd ones changed), then the last eight. */
    private static QemuStreamBuilder stream() {
        QemuStreamBuilder b = QemuStreamBuilder.standard(2, RAM, ROM).part(2);
        for (int p = 0; p < 64; p++) {
            b = p % 8 == 7 ? b.zero(p == 7 ? "pc.ram" : null, p) : b.page(p == 0 ? "pc.ram" : null, p, pageBytes(p, 0));
        }
        b = b.page("pc.rom", 0, pageBytes(64, 0)).eos().footer(2).part(2);
        for (int p = 0; p < 64; p++) {
            b = b.page(p == 0 ? "pc.ram" : null, p, pageBytes(p, p % 2));
        }
        b = b.eos().footer(2).end(2);
        for (int p = 56; p < 64; p++) {
            b = b.page(p == 56 ? "pc.ram" : null, p, pageBytes(p, 2));
        }
        return b.eos().footer(2).tail(3);
    }

    /** The receiver's destination: keeps what it is written, continues nothing but says it did. */
    private static final class Kept implements StreamDestination, StreamDestination.Connection {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        /** Written on the receiver's stream thread; read once the receiver's outcome is in (a queue's hand-over). */
        final WritableByteChannel channel = Channels.newChannel(bytes);
        volatile boolean ended;
        volatile boolean continued;
        volatile boolean closed;

        @Override
        public Connection open(QemuStreamHello hello, RamLayout layout) {
            return this;
        }

        @Override
        public WritableByteChannel stream() {
            return channel;
        }

        @Override
        public void endOfStream() {
            ended = true;
        }

        @Override
        public StreamDestination.Running awaitLoadedAndContinue(Duration timeout) {
            assertTrue(ended, "the destination is continued only after the stream's end");
            continued = true;
            return new StreamDestination.Running(4242, null);
        }

        @Override
        public String describe() {
            return "the test's destination";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** QEMU's side of the socket: writes {@code stream}, pausing after {@code pauseAt} bytes until {@code go}. */
    private static Thread qemu(ServerSocketChannel listener, Path socket, byte[] stream, int pauseAt, CountDownLatch go) {
        Thread t = new Thread(() -> {
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                c.write(ByteBuffer.wrap(stream, 0, pauseAt));
                go.await();
                c.write(ByteBuffer.wrap(stream, pauseAt, stream.length - pauseAt));
            } catch (IOException | InterruptedException e) {
                // the relay closed the socket: as QEMU, the migration failed
            }
        }, "test-qemu");
        t.start();
        return t;
    }

    private record Relayed(StreamRelay.Result result, MigrationOutcome outcome, StreamRelay relay) {
    }

    private Relayed relay(byte[] stream, Kept destination, boolean reset) throws Exception {
        ReceiverConfig config = ReceiverConfig.defaults().withStreams(destination, Duration.ofSeconds(10));
        Path socket = dir.resolve("qemu.sock");
        try (ReceiverServer server = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), null, config,
                SessionListener.NONE);
             ResettingProxy proxy = new ResettingProxy(server.port());
             ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socket));
            CountDownLatch go = new CountDownLatch(reset ? 1 : 0);
            Thread qemu = qemu(listener, socket, stream, reset ? stream.length / 2 : stream.length, go);
            EngineConfig cfg = EngineConfig.builder().window(4).build();
            RelayBudget budget = new RelayBudget(QemuStreamFormat.MAX_RECORD, 3 * 4096);
            // the relay has sent chunks and waits for more of QEMU's stream: then the link breaks
            CountDownLatch sent = new CountDownLatch(RESET_AFTER_CHUNKS);
            EngineListener counting = new EngineListener() {
                @Override
                public void batchSent(int iteration, long pagesSent, long pagesSkipped, long pagesDirty, long wireBytes) {
                    sent.countDown();
                }
            };
            Thread resetter = new Thread(() -> {
                try {
                    sent.await();
                    assertTrue(proxy.resetAll() > 0, "a connection was reset");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    go.countDown();
                }
            }, "test-resetter");
            if (reset) {
                resetter.start();
            }
            try (MigrationChannel channel = MigrationChannel.connect(proxy.address(), ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES,
                    Duration.ofSeconds(1), io.grpc.InsecureChannelCredentials.create());
                 QemuStreamChannel in = new QemuStreamChannel(listener.accept())) {
                StreamRelay relay = new StreamRelay(in, budget, cfg, "7.2.0", channel, Duration.ofSeconds(20), counting);
                StreamRelay.Result r;
                try {
                    r = relay.run();
                } catch (MigrationFailure f) {
                    relay.link().abort(f.getMessage()); // as QemuStreamSender does: the receiver ends the migration
                    in.close();
                    go.countDown();
                    qemu.join();
                    return new Relayed(null, server.awaitOutcome(), relay);
                }
                qemu.join();
                resetter.join();
                return new Relayed(r, server.awaitOutcome(), relay);
            }
        }
    }

    /** The latest version of every page a stream gives, and its opaque bytes. */
    private static Map<Integer, byte[]> latest(RecordingSink s) {
        Map<Integer, byte[]> m = new HashMap<>();
        for (RecordingSink.Event e : s.events()) {
            if (e.kind().equals("page")) {
                m.put(e.page(), e.bytes());
            } else if (e.kind().equals("zero")) {
                m.put(e.page(), new byte[QemuStreamFormat.PAGE_SIZE]);
            }
        }
        return m;
    }

    private static RecordingSink parsed(byte[] stream) throws IOException {
        RecordingSink s = new RecordingSink();
        new StreamParser(new ChunkedChannel(stream, 4096), QemuStreamFormat.MAX_RECORD).run(s);
        return s;
    }

    private static void assertLoadsAsTheSource(byte[] source, byte[] rebuilt) throws IOException {
        RecordingSink want = parsed(source);
        RecordingSink got = parsed(rebuilt);
        assertArrayEquals(want.opaque(), got.opaque(), "every opaque byte, in order");
        Map<Integer, byte[]> w = latest(want);
        Map<Integer, byte[]> g = latest(got);
        assertEquals(w.keySet(), g.keySet());
        for (int p : w.keySet()) {
            assertArrayEquals(w.get(p), g.get(p), "page " + p);
        }
    }

    @Test
    void theDestinationLoadsTheSourcesStreamWithTheHeldPagesLeftOut() throws Exception {
        byte[] source = stream().bytes();
        Kept destination = new Kept();
        Relayed r = relay(source, destination, false);
        assertTrue(r.outcome().verified(), r.outcome().reason());
        assertTrue(r.result().verdict().getOk());
        assertEquals(4242, r.result().verdict().getDestinationPid());
        assertTrue(destination.continued);
        // the second pass resends every page: the 32 even ones, unchanged, are held
        assertEquals(32, r.result().pagesHeld());
        assertLoadsAsTheSource(source, destination.bytes.toByteArray());
    }

    @Test
    void aConnectionResetMidStreamResumesAndResendsWhatTheReceiverLacks() throws Exception {
        byte[] source = stream().bytes();
        Kept destination = new Kept();
        Relayed r = relay(source, destination, true);
        assertTrue(r.outcome().verified(), r.outcome().reason());
        assertEquals(1, r.relay().link().reconnects());
        assertTrue(destination.continued);
        assertLoadsAsTheSource(source, destination.bytes.toByteArray());
    }

    @Test
    void aStreamTheRelayCannotCarryEndsTheMigrationAndTheDestinationNeverRuns() throws Exception {
        // a page record QEMU would send with its own xbzrle on, after the link is open
        byte[] source = QemuStreamBuilder.standard(2, RAM, ROM).part(2).page("pc.ram", 0, pageBytes(0, 0))
                .ramWord(4096, QemuStreamFormat.FLAG_XBZRLE).eos().footer(2).bytes();
        Kept destination = new Kept();
        Relayed r = relay(source, destination, false);
        assertFalse(r.outcome().verified());
        assertFalse(destination.continued, "never continued");
        assertTrue(destination.closed, "the receiver ended the destination");
        assertEquals(null, r.result(), "the relay failed");
    }
}
