package tern.receiver.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.InsecureServerCredentials;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import tern.common.wire.Protocol;
import tern.proto.BatchAck;
import tern.proto.Complete;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.IterationMark;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.RawHttp2;
import tern.receiver.RawPeer;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.server.ReceiverServer;
import tern.receiver.server.ServerLimits;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * One hostile peer against a real {@link ReceiverServer} over a real HTTP/2 connection
 * ({@link RawHttp2}): the service layer as a peer reaches it, below any gRPC client. Up to three
 * streams, each a run of messages (hellos, RAW and ZERO batches, marks, completions, junk) framed
 * the way a peer chooses: gRPC length prefixes true or lying (short, long, huge, negative),
 * compression flags, the bytes cut into DATA frames anywhere, and the stream half-closed, reset
 * mid-message, or announced as gzip. Then it waits until the receiver is done with every stream
 * ({@link ReceiverServer#awaitIdle}) and checks invariant 4: every reply parses, every refusal
 * names what was wrong and is none of the receiver's own errors, every acknowledgement carries
 * the digests of the pages sent, nothing was logged as SEVERE, and the image holds no foreign
 * byte (exactly what was acknowledged when no stream was reset; otherwise only zeros or pages
 * sent for that index, never a partial or foreign page). Anything else is a finding.
 */
final class HostilePeer {
    /** Small images and messages: many executions a second; --max-message above the first-message limit. */
    static final ReceiverConfig CONFIG = new ReceiverConfig(256 << 10, 16, 256 << 10, Duration.ZERO);
    static final Duration WAIT = Duration.ofSeconds(20);
    private static final int[] PAGE_SIZES = {512, 4096};

    /** Where a peer connects: the receiver on loopback, nothing else. */
    static boolean loopback(String host, Integer port) {
        return host.equals("127.0.0.1") || host.equals("localhost");
    }

    /** The receiver one JVM's executions run against, with the connection they share until the server closes it. */
    static final class Target {
        final Path image;
        final ReceiverServer server;
        final List<String> severe = new ArrayList<>();
        private RawHttp2 connection;
        private int resets;

        private Target(Path image, ReceiverServer server) {
            this.image = image;
            this.server = server;
            Handler h = new Handler() {
                @Override
                public void publish(LogRecord r) {
                    if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                        synchronized (severe) {
                            severe.add(r.getLoggerName() + ": " + r.getMessage() + (r.getThrown() == null ? ""
                                    : " " + r.getThrown()));
                        }
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            };
            Logger.getLogger("").addHandler(h);
        }

        static Target start(Path dir) {
            try {
                Path image = dir.resolve("peer.img");
                ReceiverServer s = ReceiverServer.start(new InetSocketAddress("127.0.0.1", 0), image, CONFIG,
                        ServerLimits.defaults().withTimeouts(WAIT, WAIT), SessionListener.NONE, null,
                        InsecureServerCredentials.create(), refused -> { });
                return new Target(image, s);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** The connection, a new one when the server closed the last (GOAWAY after too many resets). */
        /**
         * The connection; a new one when the server closed the last, or before this one's resets
         * would pass the receiver's rapid-reset limit (which ends a connection mid-execution).
         */
        RawHttp2 connection() throws IOException {
            if (connection == null || connection.closed() || connection.goAwayCode() != null
                    || resets > ServerLimits.MAX_RST_FRAMES - 10) {
                if (connection != null) {
                    connection.close();
                }
                connection = RawHttp2.connect(server.port());
                resets = 0;
            }
            return connection;
        }

        /** Ends the server and the connection (a fuzz run's target lives as long as its JVM). */
        void close() throws Exception {
            if (connection != null) {
                connection.close();
            }
            server.close();
        }

        void reset(int stream) throws IOException {
            connection.reset(stream, RawHttp2.CANCEL);
            resets++;
        }
    }

    /** What one stream sent: its messages as the receiver reads them, the first hello's geometry, how it ended. */
    private static final class PeerStream {
        int id;
        final List<SenderMessage> messages = new ArrayList<>();
        int pageSize;
        long pageCount;
        boolean sha256;
        boolean reset;
        boolean halfClosed;
    }

    private final Target t;
    private final HostileStats stats;
    private final Choices c;
    /** Every page content sent for an index, in any batch of this execution: what the image may hold. */
    private final Map<Long, List<byte[]>> sent = new HashMap<>();
    private boolean cut;

    HostilePeer(Target t, HostileStats stats, Choices c) {
        this.t = t;
        this.stats = stats;
        this.c = c;
    }

    void run() throws Exception {
        Files.deleteIfExists(t.image);
        stats.sessions.increment();
        RawHttp2 conn = t.connection();
        List<PeerStream> streams = new ArrayList<>();
        int n = c.intIn(1, 3);
        try {
            for (int i = 0; i < n && !c.exhausted(); i++) {
                streams.add(stream(conn));
            }
            // The receiver must have read every stream's frames before it can be asked whether it is
            // done: a half-closed stream's end says so; a reset one needs a PING round trip (read in order).
            boolean allHalfClosed = streams.stream().allMatch(s -> s.halfClosed);
            if (!allHalfClosed && !conn.ping(WAIT)) {
                cut = true; // the server closed the connection: streams may have been cut anywhere
            }
        } catch (IOException closedByTheServer) {
            // the receiver ended the connection under the peer: a GOAWAY once its resets, sent or drawn
            // by frames into refused streams, passed the rapid-reset limit
            cut = true;
        }
        for (PeerStream s : streams) {
            if (s.halfClosed && !cut && !conn.awaitEnd(s.id, WAIT).ended()) {
                cut = true; // the connection closed under the stream
            }
        }
        if (!t.server.awaitIdle(WAIT)) {
            throw new AssertionError("the receiver was not done with the streams " + WAIT.toSeconds() + " s after they ended: "
                    + t.server.activity() + "; streams " + describe(conn, streams));
        }
        cut |= conn.closed() || conn.goAwayCode() != null;
        for (MigrationOutcome o = t.server.pollOutcome(); o != null; o = t.server.pollOutcome()) {
            if (o.reason() != null && o.reason().startsWith("receiver error")) {
                throw new AssertionError("the receiver failed on its own: " + o.reason());
            }
        }
        PeerStream accepted = null;
        int accepts = 0;
        for (PeerStream s : streams) {
            if (checkReplies(conn, s)) {
                accepted = s;
                accepts++;
            }
        }
        synchronized (t.severe) {
            if (!t.severe.isEmpty()) {
                String first = t.severe.get(0);
                t.severe.clear();
                throw new AssertionError("logged as SEVERE: " + first);
            }
        }
        checkImage(conn, streams, accepts == 1 && !cut ? accepted : null, accepts);
    }

    private static String describe(RawHttp2 conn, List<PeerStream> streams) {
        StringBuilder b = new StringBuilder();
        for (PeerStream s : streams) {
            b.append("[").append(s.id).append(s.reset ? " reset" : s.halfClosed ? " half-closed" : " open").append(": ")
                    .append(conn.stream(s.id)).append(", sent");
            for (SenderMessage m : s.messages) {
                b.append(" ").append(m == null ? "junk" : m.getKindCase());
            }
            b.append("]");
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ one stream

    private PeerStream stream(RawHttp2 conn) throws IOException {
        PeerStream s = new PeerStream();
        stats.streams.increment();
        s.id = conn.open(c.rarely() && c.rarely());
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int messages = c.intIn(0, 7);
        long sequence = 0;
        int maxBatchPages = 1;
        byte[] streamModel = null;
        for (int i = 0; i < messages; i++) {
            SenderMessage m;
            int kind = i == 0 && !c.rarely() ? 0 : c.intIn(0, 19);
            if (kind == 0 || kind == 19) {
                Hello h = hello();
                if (s.pageSize == 0 && h.getPageSize() > 0) {
                    s.pageSize = h.getPageSize();
                    s.pageCount = h.getPageCount();
                    s.sha256 = h.getDigest() == DigestAlgorithm.SHA256;
                    maxBatchPages = Math.max(1, h.getMaxBatchPages());
                    if (s.pageCount > 0 && s.pageCount <= CONFIG.maxImageBytes() / s.pageSize) {
                        streamModel = new byte[(int) (s.pageCount * s.pageSize)];
                    }
                }
                m = SenderMessage.newBuilder().setHello(h).build();
            } else if (kind <= 12) {
                PageBatch b = batch(s, c.rarely() ? c.anyLong() : ++sequence, Math.min(8, maxBatchPages), streamModel);
                m = SenderMessage.newBuilder().setBatch(b).build();
            } else if (kind <= 14) {
                m = SenderMessage.newBuilder().setMark(IterationMark.newBuilder().setIteration(c.intIn(0, 3))
                        .setPhase(c.bool() ? Phase.ITERATIVE : Phase.STOP_AND_COPY)).build();
            } else if (kind <= 17) {
                ByteString root = streamModel != null && !c.rarely() ? ByteString.copyFrom(root(streamModel, s.pageSize))
                        : ByteString.copyFrom(c.bytes(32));
                m = SenderMessage.newBuilder().setComplete(Complete.newBuilder().setRootDigest(root)
                        .setLastSequence(c.rarely() ? c.anyLong() : sequence)).build();
            } else {
                m = null;
            }
            byte[] body = m != null ? m.toByteArray() : c.bytes(64);
            stats.messages.increment();
            wire.writeBytes(frame(body));
        }
        byte[] bytes = wire.toByteArray();
        deframe(s, bytes);
        send(conn, s, bytes);
        return s;
    }

    /**
     * The stream's messages as the receiver reads them from {@code wire}, which is not always as
     * they were built: a lying length prefix moves every boundary after it, and protobuf merges
     * what it then reads. Reading stops where the receiver's would (a flag it refuses, a length
     * over the limit, a message cut short, bytes that are no message); every RAW or ZERO page of a
     * batch read is what the image may hold for its index.
     */
    private void deframe(PeerStream s, byte[] wire) {
        // the geometry the receiver will take, from the first message it reads, if a hello
        s.pageSize = 0;
        s.pageCount = 0;
        s.sha256 = false;
        int at = 0;
        while (at + 5 <= wire.length) {
            int flags = wire[at] & 0xff;
            long length = ((wire[at + 1] & 0xffL) << 24) | ((wire[at + 2] & 0xff) << 16) | ((wire[at + 3] & 0xff) << 8)
                    | (wire[at + 4] & 0xff);
            if (flags != 0 || length > CONFIG.maxMessageBytes() || at + 5 + length > wire.length) {
                return;
            }
            SenderMessage m;
            try {
                m = SenderMessage.parseFrom(java.nio.ByteBuffer.wrap(wire, at + 5, (int) length));
            } catch (InvalidProtocolBufferException e) {
                return;
            }
            if (s.messages.isEmpty() && m.hasHello()) {
                s.pageSize = m.getHello().getPageSize();
                s.pageCount = m.getHello().getPageCount();
                s.sha256 = m.getHello().getDigest() == DigestAlgorithm.SHA256;
            }
            s.messages.add(m);
            if (m.hasBatch() && s.pageSize >= 512 && s.pageSize <= 65536) {
                mayHold(m.getBatch(), s.pageSize);
            }
            at += 5 + (int) length;
        }
    }

    private void mayHold(PageBatch b, int ps) {
        int offset = 0;
        for (int i = 0; i < b.getPageIndexesCount() && i < b.getEncodings().size() && i < b.getPayloadLengthsCount(); i++) {
            int enc = b.getEncodings().byteAt(i);
            if (enc == PageEncoding.ZERO_VALUE) {
                sent.computeIfAbsent(b.getPageIndexes(i), k -> new ArrayList<>()).add(new byte[ps]);
            } else if (enc == PageEncoding.RAW_VALUE && offset + ps <= b.getPayload().size()) {
                sent.computeIfAbsent(b.getPageIndexes(i), k -> new ArrayList<>())
                        .add(b.getPayload().substring(offset, offset + ps).toByteArray());
            }
            offset += Math.max(0, b.getPayloadLengths(i));
        }
    }

    /** A gRPC frame whose flag and length prefix are mostly honest. */
    private byte[] frame(byte[] body) {
        int flags = c.rarely() ? c.intIn(0, 255) : 0;
        long declared = body.length;
        if (c.rarely()) {
            declared = switch (c.intIn(0, 4)) {
                case 0 -> body.length + c.intIn(1, 64);                         // the message never completes
                case 1 -> Math.max(0, body.length - c.intIn(1, 16));            // the rest reads as the next prefix
                case 2 -> c.intIn(ServerLimits.FIRST_MESSAGE_BYTES, 300 << 10); // over the first-message or message limit
                case 3 -> 0;
                default -> c.anyLong() & 0xffffffffL;                           // anything, negative as an int included
            };
        }
        return RawHttp2.grpcFrame(flags, declared, body);
    }

    /** The stream's bytes cut into pieces anywhere; then half-closed, reset after some piece, or reset at the end. */
    private void send(RawHttp2 conn, PeerStream s, byte[] wire) throws IOException {
        int pieces = c.intIn(1, 4);
        int[] cuts = new int[pieces + 1];
        for (int i = 1; i < pieces; i++) {
            cuts[i] = c.intIn(0, wire.length);
        }
        cuts[pieces] = wire.length;
        Arrays.sort(cuts, 1, pieces);
        int ending = c.intIn(0, 9);
        int resetAfter = ending >= 7 ? c.intIn(0, pieces - 1) : -1;
        for (int i = 0; i < pieces; i++) {
            int from = cuts[i];
            int to = Math.max(from, cuts[i + 1]);
            boolean last = i == pieces - 1;
            if (!conn.data(s.id, wire, from, to - from, last && resetAfter < 0, Duration.ofSeconds(2))) {
                if (!conn.stream(s.id).ended()) {
                    // the window stayed shut (or the connection went): give up on the stream
                    resetAfter = i;
                } else {
                    break; // the server ended the stream: the rest is not needed
                }
            }
            if (i == resetAfter) {
                t.reset(s.id);
                s.reset = true;
                cut = true;
                stats.resets.increment();
                return;
            }
        }
        s.halfClosed = resetAfter < 0;
    }

    private Hello hello() {
        int pageSize = c.rarely() ? c.intIn(0, 70000) : PAGE_SIZES[c.intIn(0, PAGE_SIZES.length - 1)];
        long pageCount = c.rarely() ? c.anyLong() : c.intIn(1, 64);
        Hello.Builder h = Hello.newBuilder()
                .setProtocolVersion(c.rarely() ? c.intIn(0, 3) : Protocol.PROTOCOL_VERSION)
                .setMigrationId(c.rarely() ? new String(c.bytes(12), java.nio.charset.StandardCharsets.ISO_8859_1) : "peer")
                .setPageSize(pageSize)
                .setPageCount(pageCount)
                .setDigest(c.rarely() ? DigestAlgorithm.XXH3_128 : DigestAlgorithm.SHA256)
                .addEncodings(PageEncoding.RAW)
                .setMaxBatchPages(c.rarely() ? c.intIn(0, 100_000) : c.intIn(1, 16))
                .setStreamCount(1);
        if (!c.rarely()) {
            h.addEncodings(PageEncoding.ZERO);
        }
        if (c.rarely()) {
            h.setResumeToken(ByteString.copyFrom(c.bytes(16)));
        }
        return h.build();
    }

    /** RAW and ZERO pages (rarely something else), recorded as sent, and applied to the stream's own model. */
    private PageBatch batch(PeerStream s, long sequence, int maxPages, byte[] model) {
        PageBatch.Builder b = PageBatch.newBuilder().setSequence(sequence).setIteration(c.rarely() ? c.intIn(0, 3) : 1);
        int n = c.intIn(1, Math.max(1, maxPages));
        int ps = s.pageSize > 0 && s.pageSize <= 65536 ? s.pageSize : 512;
        ByteArrayOutputStream encodings = new ByteArrayOutputStream();
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        for (int i = 0; i < n; i++) {
            long index = c.rarely() || s.pageCount <= 0 ? c.anyLong() : c.intIn(0, (int) Math.min(s.pageCount - 1, 1 << 20));
            int enc = c.rarely() ? c.intIn(0, 4) : c.intIn(1, 2);
            byte[] p = enc == PageEncoding.RAW_VALUE ? page(ps) : enc == PageEncoding.ZERO_VALUE ? new byte[0] : c.bytes(8);
            b.addPageIndexes(index).addPayloadLengths(c.rarely() ? c.intIn(0, 5000) : p.length);
            encodings.write(enc);
            payload.writeBytes(p);
            if ((enc == PageEncoding.RAW_VALUE || enc == PageEncoding.ZERO_VALUE) && model != null && index >= 0
                    && index < model.length / ps) {
                // what a sender that stores this batch expects: the root its completion sends
                System.arraycopy(enc == PageEncoding.RAW_VALUE ? p : new byte[ps], 0, model, (int) index * ps, ps);
            }
        }
        return b.setEncodings(ByteString.copyFrom(encodings.toByteArray()))
                .setPayload(ByteString.copyFrom(payload.toByteArray())).build();
    }

    private byte[] page(int size) {
        byte[] pattern = c.bytes(16);
        byte[] page = new byte[size];
        for (int i = 0; pattern.length > 0 && i < size; i++) {
            page[i] = pattern[i % pattern.length];
        }
        return page;
    }

    // ------------------------------------------------------------------ checks

    /**
     * The stream's replies: each parses; acknowledgements name batches it sent, in order, with
     * the digests of their pages; a refusal names what was wrong. True when its hello was accepted.
     */
    private boolean checkReplies(RawHttp2 conn, PeerStream s) throws InvalidProtocolBufferException {
        RawHttp2.StreamState st = conn.stream(s.id);
        boolean accepted = false;
        int next = 0; // the index in s.messages after the last acknowledged batch
        for (byte[] raw : st.messages()) {
            ReceiverMessage r = ReceiverMessage.parseFrom(raw);
            if (r.hasAccept()) {
                accepted = true;
                stats.accepted.increment();
            } else if (r.hasAck()) {
                next = checkAck(s, r.getAck(), next);
            } else if (r.hasVerdict()) {
                stats.verdicts.increment();
            }
        }
        if (st.ended() && st.grpcStatus() > 0) {
            String m = st.grpcMessage();
            if (m == null || m.isEmpty()) {
                throw new AssertionError("stream ended " + Status.fromCodeValue(st.grpcStatus()).getCode() + " without saying why: "
                        + describe(conn, List.of(s)));
            }
            if (m.startsWith("receiver error")) {
                throw new AssertionError("the receiver failed on its own: " + m);
            }
            if (st.grpcStatus() == Status.Code.INTERNAL.value() || st.grpcStatus() == Status.Code.RESOURCE_EXHAUSTED.value()) {
                // a transport refusal closes the call from the transport's thread while the service may be
                // storing the message before it: that message's reply (an Accept, an ack) may never go out
                cut = true;
                stats.undecodable.increment();
            }
            stats.refused.increment();
        }
        return accepted;
    }

    private int checkAck(PeerStream s, BatchAck ack, int from) {
        for (int i = from; i < s.messages.size(); i++) {
            SenderMessage m = s.messages.get(i);
            if (m != null && m.hasBatch() && m.getBatch().getSequence() == ack.getSequence()) {
                PageBatch b = m.getBatch();
                if (s.sha256) {
                    byte[] want = digests(b, s.pageSize);
                    if (!Arrays.equals(want, ack.getDigests().toByteArray())) {
                        throw new AssertionError("ack " + ack.getSequence() + ": digests are not those of the pages sent");
                    }
                }
                stats.batchesStored.increment();
                stats.pagesStored.add(b.getPageIndexesCount());
                return i + 1;
            }
        }
        throw new AssertionError("ack " + ack.getSequence() + " for no batch sent after the last one acknowledged");
    }

    /**
     * No foreign byte: with one accepted stream and nothing cut (no reset, no transport refusal,
     * the connection whole), the image is exactly zero pages plus its acknowledged batches;
     * otherwise every page is zero or a page sent for its index.
     */
    private void checkImage(RawHttp2 conn, List<PeerStream> streams, PeerStream exact, int accepts) throws IOException {
        if (!Files.exists(t.image)) {
            return;
        }
        byte[] file = Files.readAllBytes(t.image);
        if (exact != null) {
            byte[] model = new byte[file.length];
            if (file.length != exact.pageSize * exact.pageCount) {
                throw new AssertionError("image of " + file.length + " bytes for " + exact.pageCount + " pages of "
                        + exact.pageSize);
            }
            for (byte[] raw : conn.stream(exact.id).messages()) {
                // replies in order: every acknowledged batch applied to zeros
                applyAcked(exact, raw, model);
            }
            countForeign(file, model, exact.pageSize);
            return;
        }
        int ps = 0;
        for (PeerStream s : streams) {
            if (s.pageSize > 0 && s.pageCount > 0 && s.pageCount <= file.length && file.length == s.pageSize * s.pageCount) {
                ps = s.pageSize;
            }
        }
        if (ps == 0) {
            throw new AssertionError("image of " + file.length + " bytes matches no hello sent");
        }
        byte[] zero = new byte[ps];
        long foreign = 0;
        for (int p = 0; p * ps < file.length; p++) {
            byte[] page = Arrays.copyOfRange(file, p * ps, (p + 1) * ps);
            boolean allowed = Arrays.equals(page, zero);
            for (byte[] content : sent.getOrDefault((long) p, List.of())) {
                allowed |= Arrays.equals(page, content);
            }
            if (!allowed) {
                for (int i = 0; i < ps; i++) {
                    foreign += page[i] != 0 ? 1 : 0;
                }
            }
        }
        if (foreign > 0) {
            stats.foreignBytes.add(foreign);
            throw new AssertionError(foreign + " foreign bytes: pages that are neither zero nor a page sent for their index");
        }
    }

    private void applyAcked(PeerStream s, byte[] raw, byte[] model) throws InvalidProtocolBufferException {
        ReceiverMessage r = ReceiverMessage.parseFrom(raw);
        if (!r.hasAck()) {
            return;
        }
        for (SenderMessage m : s.messages) {
            if (m != null && m.hasBatch() && m.getBatch().getSequence() == r.getAck().getSequence()) {
                PageBatch b = m.getBatch();
                int offset = 0;
                for (int i = 0; i < b.getPageIndexesCount(); i++) {
                    int at = (int) b.getPageIndexes(i) * s.pageSize;
                    if (b.getEncodings().byteAt(i) == PageEncoding.RAW_VALUE) {
                        b.getPayload().copyTo(model, offset, at, s.pageSize);
                    } else {
                        Arrays.fill(model, at, at + s.pageSize, (byte) 0);
                    }
                    offset += b.getPayloadLengths(i);
                }
                return;
            }
        }
    }

    private void countForeign(byte[] file, byte[] model, int pageSize) {
        int at = Arrays.mismatch(file, model);
        if (at < 0) {
            return;
        }
        long foreign = 0;
        for (int i = at; i < file.length; i++) {
            foreign += file[i] != model[i] ? 1 : 0;
        }
        stats.foreignBytes.add(foreign);
        throw new AssertionError(foreign + " foreign bytes in the image, the first at page " + at / pageSize + " offset "
                + at % pageSize + " (not what was acknowledged)");
    }

    private static byte[] digests(PageBatch b, int pageSize) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int offset = 0;
            for (int i = 0; i < b.getPageIndexesCount(); i++) {
                byte[] page = new byte[pageSize];
                if (b.getEncodings().byteAt(i) == PageEncoding.RAW_VALUE) {
                    b.getPayload().copyTo(page, offset, 0, pageSize);
                }
                out.writeBytes(sha.digest(page));
                offset += b.getPayloadLengths(i);
            }
            return out.toByteArray();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] root(byte[] model, int pageSize) {
        try {
            return RawPeer.rootOf(model, pageSize);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
