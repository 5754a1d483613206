package tern.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tern.lab.process.ChildProcess;
import tern.lab.process.ProcessGroup;
import tern.proto.Complete;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.OneMessageStream;
import tern.receiver.RawHttp2;
import tern.receiver.RawPeer;

/**
 * docs/design.md, invariant 4's "memory stays bounded", against the packaged receiver as a process whose
 * memory is capped far below what it is sent (48 MiB of heap, 32 MiB of direct memory): oversized
 * messages, a hello asking for a digest table larger than the heap, junk streams opened beside a
 * running migration, and a migration that floods 40,000 batches without reading one
 * acknowledgement. Each bad input is refused; the flooding migration completes verified once it
 * reads its acknowledgements; the process stays alive throughout, and its peak resident memory
 * is reported.
 */
class HostileFloodIT extends ProcessTest {
    static final int PAGE = 4096;
    static final int PAGES = 4096; // a 16 MiB image
    static final int FLOOD_BATCHES = 40_000; // one page each: 160 MiB of pages, acknowledgements never read until the end
    static final String CAPPED_JVM = "-XX:+UseSerialGC -Xmx48m -XX:MaxDirectMemorySize=32m -XX:+ExitOnOutOfMemoryError";

    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(120);
    private ManagedChannel channel;
    private final List<RawPeer> peers = new ArrayList<>();
    private Path image;
    private ChildProcess receiver;
    private int port;

    @AfterEach
    void tearDown() throws InterruptedException {
        for (RawPeer p : peers) {
            p.close();
        }
        if (channel != null) {
            channel.shutdownNow();
            channel.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** bin/tern-receiver --keep-serving into image.img on a free loopback port; {@code environment} sets its JVM's flags. */
    private void startReceiver(Map<String, String> environment) throws Exception {
        image = dir.resolve("image.img");
        ProcessGroup.Receiver started = processes.startReceiver("receiver", environment,
                "--listen", "127.0.0.1:0", "--image", image.toString(), "--keep-serving");
        receiver = started.process();
        port = started.port();
    }

    /** A stream whose replies are read only when asked for: a sender that floods and does not listen. */
    private RawPeer flood() {
        RawPeer p = RawPeer.unread(port, REPLY_TIMEOUT);
        peers.add(p);
        return p;
    }

    @Test
    void receiverWithCappedMemorySurvivesFloodsAndStillCompletes() throws Exception {
        startReceiver(Map.of("TERN_JAVA_OPTS", CAPPED_JVM));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().maxInboundMessageSize(16 << 20).build();

        // 1. messages over the 4 MiB limit: refused from their 5-byte length prefix, never buffered whole.
        // The client's DATA already in flight for a refused stream draws a RST_STREAM per frame; past 100
        // in 10 s the receiver ends the connection (rapid-reset protection), and the channel reconnects.
        int refused = 0;
        for (int i = 0; i < 16; i++) {
            Status s = OneMessageStream.sendBytes(channel, new byte[5 << 20], 60);
            assertTrue(s.getCode() == Status.Code.RESOURCE_EXHAUSTED || s.getCode() == Status.Code.UNAVAILABLE, s::toString);
            refused += s.getCode() == Status.Code.RESOURCE_EXHAUSTED ? 1 : 0;
        }
        assertTrue(refused > 0, "no oversized message was refused with RESOURCE_EXHAUSTED");

        // 2. a hello whose digest table (16 M pages x 32 B = 512 MiB) cannot fit a 48 MiB heap
        RawPeer big = flood();
        big.send(SenderMessage.newBuilder().setHello(hello().setPageSize(512).setPageCount(16L << 20)).build());
        Status s = big.awaitEnd();
        assertEquals(Status.Code.FAILED_PRECONDITION, s.getCode(), s::toString);
        assertTrue(s.getDescription().contains("hello.page_count") && s.getDescription().contains("heap"), s::toString);

        // 3. the flood: hello, then 40,000 batches sent without waiting for the transport or reading acks
        RawPeer flood = flood();
        flood.send(SenderMessage.newBuilder().setHello(hello()).build());
        flood.request(1);
        assertTrue(flood.next().hasAccept());
        byte[] model = new byte[PAGE * PAGES];
        for (int k = 1; k <= FLOOD_BATCHES; k++) {
            int page = (int) ((k * 2654435761L) % PAGES);
            byte[] bytes = pattern(k);
            System.arraycopy(bytes, 0, model, page * PAGE, PAGE);
            flood.send(SenderMessage.newBuilder().setBatch(PageBatch.newBuilder().setSequence(k).setIteration(1)
                    .addPageIndexes(page).setEncodings(ByteString.copyFrom(new byte[] {PageEncoding.RAW_VALUE}))
                    .addPayloadLengths(PAGE).setPayload(ByteString.copyFrom(bytes))).build());
        }
        // ... while 20 more streams push junk beside it: each is refused, the migration goes on
        for (int j = 0; j < 20; j++) {
            RawPeer junk = flood();
            for (int i = 0; i < 8; i++) {
                junk.send(SenderMessage.newBuilder().setHello(hello().setMigrationId("junk-" + j)).build());
            }
            Status js = junk.awaitEnd();
            assertEquals(Status.Code.FAILED_PRECONDITION, js.getCode(), js::toString);
            assertTrue(js.getDescription().contains("already in progress"), js::toString);
        }
        // now read: every batch was stored and acknowledged in order
        flood.request(FLOOD_BATCHES + 1);
        for (int k = 1; k <= FLOOD_BATCHES; k++) {
            ReceiverMessage r = flood.next();
            assertTrue(r.hasAck() && r.getAck().getSequence() == k, () -> "expected ack " + r);
        }
        flood.send(SenderMessage.newBuilder().setComplete(Complete.newBuilder().setLastSequence(FLOOD_BATCHES)
                .setRootDigest(ByteString.copyFrom(RawPeer.rootOf(model, PAGE)))).build());
        ReceiverMessage verdict = flood.next();
        assertTrue(verdict.hasVerdict() && verdict.getVerdict().getOk(), verdict::toString);
        assertEquals(-1, java.util.Arrays.mismatch(model, Files.readAllBytes(image)), "image differs from the flood's pages");

        assertTrue(receiver.isAlive(), "the receiver died\n" + receiver.outputs());
        long peakKiB = peakRssKiB(receiver.pid());
        System.out.println("HostileFloodIT: receiver peak RSS " + peakKiB / 1024 + " MiB after "
                + (long) FLOOD_BATCHES * PAGE / (1 << 20) + " MiB of flooded pages and 80 MiB of oversized messages");
        // heap 48 + direct 32 + the JVM's own (code, metaspace, threads): well under 400 MiB unless input piled up
        assertTrue(peakKiB < 400 * 1024, "peak RSS " + peakKiB + " KiB\n" + receiver.outputs());
    }

    /**
     * docs/hostile-input.md, memory under a partial-message flood: streams that each send a 4 MiB
     * length prefix and then up to 4 MiB - 1 bytes, no hello, once took a receiver to 316 / 515 /
     * 977 / 1,833 MiB resident for 25 / 50 / 100 / 200 streams, and it stayed there. Here 200 such
     * streams (25 connections of 8) are all open and partial at once, then each pushes on to its
     * 4 MiB, beside a real migration, against the receiver as bin/tern-receiver runs it (the
     * launcher's JVM flags, no heap cap). A flood stream is refused once its first message passes
     * 64 KiB, or ends with its connection (which the receiver closes once the frames sent into refused
     * streams pass its reset limit); the migration verifies; peak resident memory stays under 256 MiB.
     */
    @Test
    void aFloodOf200PartialMessagesStaysUnder256MiBBesideAMigrationThatVerifies() throws Exception {
        startReceiver(Map.of()); // the launcher's own JVM flags
        RawPeer migration = flood();
        migration.send(SenderMessage.newBuilder().setHello(hello()).build());
        migration.request(Integer.MAX_VALUE);
        assertTrue(migration.next().hasAccept());
        byte[] model = new byte[PAGE * PAGES];

        int connections = 25;
        int perConnection = 8;
        int prefix = 4 << 20;
        byte[] body = new byte[prefix - 1];
        new java.util.Random(3).nextBytes(body);
        int partial = 48 << 10; // under the first-message limit: every stream holds a partial message at once
        List<RawHttp2> conns = new ArrayList<>();
        List<int[]> streams = new ArrayList<>();
        int refused = 0;
        try {
            for (int c = 0; c < connections; c++) {
                RawHttp2 h = RawHttp2.connect(port);
                conns.add(h);
                int[] ids = new int[perConnection];
                for (int i = 0; i < perConnection; i++) {
                    ids[i] = h.open();
                    h.data(ids[i], RawHttp2.grpcFrame(0, prefix, new byte[0]), 0, 5, false, REPLY_TIMEOUT);
                    h.data(ids[i], body, 0, partial, false, REPLY_TIMEOUT);
                }
                streams.add(ids);
            }
            for (RawHttp2 h : conns) {
                assertTrue(h.ping(REPLY_TIMEOUT), "the receiver stopped answering");
            }
            int sequence = 0;
            sequence = sendBatches(migration, model, sequence, 0, PAGES / 2);
            // each stream now pushes on towards its 4 MiB, one connection per thread, until refused
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(connections);
            List<java.util.concurrent.Future<?>> pushed = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                RawHttp2 h = conns.get(c);
                int[] ids = streams.get(c);
                pushed.add(pool.submit(() -> {
                    for (int id : ids) {
                        h.data(id, body, partial, body.length - partial, false, REPLY_TIMEOUT);
                    }
                    return null;
                }));
            }
            sequence = sendBatches(migration, model, sequence, PAGES / 2, PAGES);
            for (java.util.concurrent.Future<?> f : pushed) {
                f.get(REPLY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
            pool.shutdown();
            // each stream is refused once its first message passes 64 KiB; a connection that goes on sending
            // into refused streams draws a RST_STREAM per frame, and past 100 in 10 s gRPC ends it (GOAWAY)
            for (int c = 0; c < connections; c++) {
                for (int id : streams.get(c)) {
                    RawHttp2 h = conns.get(c);
                    RawHttp2.StreamState st = h.awaitEnd(id, REPLY_TIMEOUT);
                    if (st.grpcStatus() == Status.Code.RESOURCE_EXHAUSTED.value()) {
                        assertTrue(st.grpcMessage().contains("before a hello was accepted"), st::toString);
                        refused++;
                    } else {
                        assertEquals(RawHttp2.ENHANCE_YOUR_CALM, h.goAwayCode(), () -> "stream " + id + ": " + st
                                + "; connection closed " + h.closed() + receiver.outputs());
                    }
                }
            }
            assertTrue(refused >= connections, "only " + refused + " streams were refused by their first message");
            migration.send(SenderMessage.newBuilder().setComplete(Complete.newBuilder().setLastSequence(sequence)
                    .setRootDigest(ByteString.copyFrom(RawPeer.rootOf(model, PAGE)))).build());
            ReceiverMessage verdict = migration.next();
            assertTrue(verdict.hasVerdict() && verdict.getVerdict().getOk(), verdict::toString);
            assertEquals(-1, java.util.Arrays.mismatch(model, Files.readAllBytes(image)), "image differs from the pages sent");
        } finally {
            for (RawHttp2 h : conns) {
                h.close();
            }
        }
        assertTrue(receiver.isAlive(), "the receiver died\n" + receiver.outputs());
        long peakKiB = peakRssKiB(receiver.pid());
        System.out.println("HostileFloodIT: receiver peak RSS " + peakKiB / 1024 + " MiB under 200 partial 4 MiB messages"
                + " beside a migration (launcher flags), " + rssKiB(receiver.pid()) / 1024 + " MiB at its end, the flood's connections closed; "
                + refused + " refused by their first message");
        assertTrue(peakKiB < 256 * 1024, "peak RSS " + peakKiB + " KiB\n" + receiver.outputs());
    }

    /** Pages {@code from..to} in batches of 64 (RAW, random bytes, put in {@code model}), each acknowledged; the last sequence. */
    static int sendBatches(RawPeer p, byte[] model, int sequence, int from, int to) throws Exception {
        for (int first = from; first < to; first += 64) {
            PageBatch.Builder b = PageBatch.newBuilder().setSequence(++sequence).setIteration(1);
            byte[] payload = new byte[64 * PAGE];
            new java.util.Random(sequence).nextBytes(payload);
            byte[] encodings = new byte[64];
            java.util.Arrays.fill(encodings, (byte) PageEncoding.RAW_VALUE);
            for (int i = 0; i < 64; i++) {
                b.addPageIndexes(first + i).addPayloadLengths(PAGE);
            }
            System.arraycopy(payload, 0, model, first * PAGE, payload.length);
            p.send(SenderMessage.newBuilder().setBatch(b.setEncodings(ByteString.copyFrom(encodings))
                    .setPayload(ByteString.copyFrom(payload))).build());
            ReceiverMessage r = p.next();
            assertTrue(r.hasAck() && r.getAck().getSequence() == sequence, r::toString);
        }
        return sequence;
    }

    static Hello.Builder hello() {
        return Hello.newBuilder().setProtocolVersion(1).setMigrationId("flood").setPageSize(PAGE).setPageCount(PAGES)
                .setDigest(DigestAlgorithm.SHA256).addEncodings(PageEncoding.RAW).setMaxBatchPages(64)
                .setStreamIndex(0).setStreamCount(1);
    }

    static byte[] pattern(int k) {
        byte[] b = new byte[PAGE];
        new java.util.Random(k).nextBytes(b);
        return b;
    }

    static long peakRssKiB(long pid) throws IOException {
        return status(pid, "VmHWM:");
    }

    static long rssKiB(long pid) throws IOException {
        return status(pid, "VmRSS:");
    }

    private static long status(long pid, String field) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith(field)) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no " + field + " in /proc/" + pid + "/status");
    }
}
