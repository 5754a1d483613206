package tern.receiver.fuzz;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import tern.common.wire.Protocol;
import tern.common.digest.DigestKind;
import tern.common.digest.PageDigest;
import tern.common.xbzrle.XbzrleCodec;
import tern.proto.Complete;
import tern.proto.DigestAlgorithm;
import tern.proto.Hello;
import tern.proto.IterationMark;
import tern.proto.PageBatch;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ProtocolException;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.SessionListener;

/**
 * One hostile sender's session against a real {@link MigrationSession} and a real image file:
 * hellos, batches (page indexes, encodings, payload lengths, RAW/ZERO/XBZRLE payloads, sequence
 * numbers, iterations), iteration marks, completions, resume tokens and raw bytes that may be no
 * protobuf at all, each mostly well-formed and sometimes not, so that inputs reach every decoder
 * with the protocol's state behind them. After every message it checks invariant 4 against a
 * model kept here: a refusal is a {@link ProtocolException} with a status and a text naming what
 * was wrong; an acknowledged batch changed exactly its pages, to the bytes a reference decoder
 * (written here, not the receiver's) gives, with the digests of those bytes; the image file holds
 * the model, byte for byte (no partial or foreign page). Anything else thrown is a finding.
 */
final class HostileSession {
    /** Small images keep one execution fast; the limit is the receiver's own --max-image check. */
    static final ReceiverConfig CONFIG = new ReceiverConfig(ReceiverConfig.DEFAULT_MAX_MESSAGE_BYTES, 16, 1024 * 1024,
            java.time.Duration.ZERO);
    private static final int[] PAGE_SIZES = {512, 1024, 4096};

    private final Path image;
    private final HostileStats stats;
    private final Choices c;
    private MigrationSession session;
    // the model of what the image must hold, and the protocol state a well-behaved sender would track
    private byte[] model;
    private int pageSize;
    private long pageCount;
    private DigestKind kind;
    private boolean xbzrleOffered;
    private boolean zeroOffered;
    private int maxBatchPages;
    private long lastSequence;
    private int iteration = 1;

    HostileSession(Path image, HostileStats stats, Choices c) {
        this.image = image;
        this.stats = stats;
        this.c = c;
    }

    void run() throws IOException {
        Files.deleteIfExists(image);
        session = new MigrationSession(image, CONFIG, SessionListener.NONE);
        stats.sessions.increment();
        try {
            int messages = c.intIn(1, 24);
            for (int i = 0; i < messages && !c.exhausted(); i++) {
                if (!step()) {
                    return;
                }
            }
        } finally {
            session.close();
        }
    }

    /** Sends one message; false once the session has ended (refused, or a verdict). */
    private boolean step() throws IOException {
        SenderMessage m;
        PageBatch batch = null;
        int kindOfMessage = model == null && !c.rarely() ? 0 : c.intIn(0, 9);
        switch (kindOfMessage) {
            case 0 -> m = SenderMessage.newBuilder().setHello(hello()).build();
            case 1 -> m = SenderMessage.newBuilder().setMark(mark()).build();
            case 2 -> m = SenderMessage.newBuilder().setComplete(complete()).build();
            case 3 -> {
                m = rawBytes();
                if (m == null) {
                    stats.undecodable.increment(); // the service refuses these before the session sees them
                    return false;
                }
            }
            default -> {
                batch = batch();
                m = SenderMessage.newBuilder().setBatch(batch).build();
            }
        }
        stats.messages.increment();
        ReceiverMessage reply;
        try {
            reply = asSent(session.handle(m));
        } catch (ProtocolException e) {
            Status s = e.toStatus();
            if (s.getCode() != Status.Code.INVALID_ARGUMENT && s.getCode() != Status.Code.FAILED_PRECONDITION) {
                throw new AssertionError("refusal with status " + s.getCode() + ": " + e.getMessage());
            }
            if (!namesWhatWasWrong(e.getMessage())) {
                throw new AssertionError("refusal without a field and a reason: '" + e.getMessage() + "'");
            }
            stats.refused.increment();
            checkImage();
            return false;
        }
        if (reply != null && reply.hasAccept()) {
            model = new byte[Math.toIntExact(pageCount * pageSize)];
            stats.accepted.increment();
        } else if (reply != null && reply.hasAck()) {
            applyToModel(batch, reply.getAck().getDigests());
        } else if (reply != null && reply.hasVerdict()) {
            stats.verdicts.increment();
            checkImage();
            return false;
        }
        checkImage();
        return true;
    }

    /** The reply as the sender reads it: the bytes the session's message writes, parsed. */
    private static ReceiverMessage asSent(tern.common.wire.WireMessage w) {
        if (w == null) {
            return null;
        }
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(w.serializedSize());
            w.writeTo(bytes);
            if (bytes.size() != w.serializedSize()) {
                throw new AssertionError("reply wrote " + bytes.size() + " bytes, announced " + w.serializedSize());
            }
            return ReceiverMessage.parseFrom(bytes.toByteArray());
        } catch (java.io.IOException e) {
            throw new AssertionError("reply does not parse: " + e, e);
        }
    }

    /**
     * "where: what was wrong", where names the message and field (hello.page_size, batch 7 page 3, stream_chunk,
     * mark.phase, complete.root_digest, message) or the image. Checked without a regex: the fuzzer
     * hooks java.util.regex.
     */
    static boolean namesWhatWasWrong(String m) {
        if (m == null || m.indexOf(": ") < 1 || m.endsWith(": ")) {
            return false;
        }
        for (String where : new String[] {"hello", "batch", "mark", "complete", "stream_chunk", "message", "image "}) {
            if (m.startsWith(where)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ messages

    private Hello hello() {
        pageSize = c.rarely() ? c.intIn(Integer.MIN_VALUE, Integer.MAX_VALUE) : PAGE_SIZES[c.intIn(0, PAGE_SIZES.length - 1)];
        long bound = Math.max(1, CONFIG.maxImageBytes() / Math.max(512, pageSize));
        pageCount = c.rarely() ? c.anyLong() : c.intIn(1, (int) Math.min(bound, 128));
        Hello.Builder h = Hello.newBuilder()
                .setProtocolVersion(c.rarely() ? c.intIn(0, 3) : Protocol.PROTOCOL_VERSION)
                .setMigrationId(c.rarely() ? "x".repeat(c.intIn(0, 300)) : "fuzz")
                .setPageSize(pageSize)
                .setPageCount(pageCount)
                .setStreamIndex(c.rarely() ? c.intIn(0, 3) : 0)
                .setStreamCount(c.rarely() ? c.intIn(0, 3) : 1);
        DigestKind[] kinds = DigestKind.values();
        if (c.rarely()) {
            h.setDigestValue(c.intIn(0, 9));
        } else {
            h.setDigest(kinds[c.intIn(0, kinds.length - 1)].toProto());
        }
        kind = h.getDigest() == DigestAlgorithm.UNRECOGNIZED ? null : safeKind(h.getDigest());
        int encodings = c.intIn(0, 4);
        for (int i = 0; i < encodings; i++) {
            h.addEncodingsValue(c.rarely() ? c.intIn(-1, 9) : c.intIn(1, 3));
        }
        if (!c.rarely()) {
            h.addEncodingsValue(1); // RAW
        }
        xbzrleOffered = h.getEncodingsValueList().contains(3);
        zeroOffered = h.getEncodingsValueList().contains(2);
        maxBatchPages = c.rarely() ? c.intIn(Integer.MIN_VALUE, Integer.MAX_VALUE) : c.intIn(1, 64);
        h.setMaxBatchPages(maxBatchPages);
        if (c.rarely()) {
            h.setResumeToken(ByteString.copyFrom(c.bytes(40)));
        }
        lastSequence = 0;
        iteration = 1;
        return h.build();
    }

    private static DigestKind safeKind(DigestAlgorithm a) {
        try {
            return DigestKind.fromProto(a);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private IterationMark mark() {
        int next = c.rarely() ? c.intIn(Integer.MIN_VALUE, Integer.MAX_VALUE) : iteration + 1;
        IterationMark.Builder m = IterationMark.newBuilder().setIteration(next);
        if (c.rarely()) {
            m.setPhaseValue(c.intIn(-1, 9));
        } else {
            m.setPhase(c.bool() ? Phase.ITERATIVE : Phase.STOP_AND_COPY);
        }
        if (Integer.compareUnsigned(next, iteration) > 0) {
            iteration = next; // what a well-behaved sender would now believe; the receiver decides
        }
        return m.build();
    }

    private Complete complete() {
        Complete.Builder b = Complete.newBuilder().setLastSequence(c.rarely() ? c.anyLong() : lastSequence);
        if (c.rarely() || model == null) {
            b.setRootDigest(ByteString.copyFrom(c.bytes(40)));
        } else {
            b.setRootDigest(ByteString.copyFrom(rootOfModel()));
        }
        return b.build();
    }

    /** Bytes that may or may not be a SenderMessage, parsed as the receiver's transport parser does (aliasing). */
    private SenderMessage rawBytes() {
        byte[] raw = c.bytes(600);
        try {
            CodedInputStream in = CodedInputStream.newInstance(ByteBuffer.wrap(raw));
            in.enableAliasing(true);
            SenderMessage m = SenderMessage.parseFrom(in);
            in.checkLastTagWas(0); // a stray end-group tag: refused, as the transport parser does
            return m;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private PageBatch batch() {
        PageBatch.Builder b = PageBatch.newBuilder()
                .setSequence(c.rarely() ? c.anyLong() : lastSequence + 1)
                .setIteration(c.rarely() ? c.intIn(Integer.MIN_VALUE, Integer.MAX_VALUE) : iteration);
        int n = c.rarely() ? c.intIn(0, 80) : c.intIn(1, Math.max(1, Math.min(8, maxBatchPages)));
        ByteArrayOutputStream encodings = new ByteArrayOutputStream();
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        int ps = pageSize > 0 && pageSize <= 65536 ? pageSize : 4096;
        for (int i = 0; i < n; i++) {
            long index = c.rarely() || pageCount <= 0 ? c.anyLong() : c.intIn(0, (int) Math.min(pageCount - 1, Integer.MAX_VALUE));
            b.addPageIndexes(index);
            int enc = c.rarely() ? c.intIn(-128, 127) : c.intIn(1, 3);
            encodings.write(enc);
            byte[] p = switch (enc) {
                case 1 -> page(ps);
                case 2 -> new byte[0];
                case 3 -> delta(ps, index);
                default -> c.bytes(16);
            };
            b.addPayloadLengths(c.rarely() ? c.intIn(Integer.MIN_VALUE, Integer.MAX_VALUE) : p.length);
            payload.writeBytes(p);
        }
        byte[] e = encodings.toByteArray();
        if (c.rarely()) {
            e = Arrays.copyOf(e, c.intIn(0, e.length + 2));
        }
        byte[] p = payload.toByteArray();
        if (c.rarely()) {
            p = Arrays.copyOf(p, c.intIn(0, p.length + 8));
        }
        return b.setEncodings(ByteString.copyFrom(e)).setPayload(ByteString.copyFrom(p)).build();
    }

    /** A page's bytes from a short fuzzed pattern, repeated: full pages from few input bytes. */
    private byte[] page(int size) {
        byte[] pattern = c.bytes(32);
        byte[] page = new byte[size];
        if (pattern.length > 0) {
            for (int i = 0; i < size; i++) {
                page[i] = pattern[i % pattern.length];
            }
        }
        return page;
    }

    /** Mostly a real XBZRLE delta from the model's page to a new one; sometimes fuzzed bytes. */
    private byte[] delta(int size, long index) {
        if (c.rarely() || model == null || index < 0 || index >= pageCount || size != pageSize) {
            return c.bytes(64);
        }
        byte[] next = Arrays.copyOfRange(model, (int) index * size, (int) index * size + size);
        int changes = c.intIn(0, 6);
        for (int i = 0; i < changes; i++) {
            next[c.intIn(0, size - 1)] = (byte) c.intIn(-128, 127);
        }
        byte[] out = new byte[size];
        int len = new XbzrleCodec(size).encode(ByteBuffer.wrap(model, (int) index * size, size).slice(),
                ByteBuffer.wrap(next), out, 0, size);
        return len < 0 ? c.bytes(64) : Arrays.copyOf(out, len);
    }

    // ------------------------------------------------------------------ the model

    /** Applies an acknowledged batch to the model with a reference decoder, and checks the ack's digests. */
    private void applyToModel(PageBatch b, ByteString ackDigests) {
        int offset = 0;
        byte[] payload = b.getPayload().toByteArray();
        PageDigest d = kind.newDigest();
        byte[] want = new byte[d.length()];
        for (int i = 0; i < b.getPageIndexesCount(); i++) {
            int page = Math.toIntExact(b.getPageIndexes(i));
            int len = b.getPayloadLengths(i);
            int at = page * pageSize;
            switch (b.getEncodings().byteAt(i)) {
                case 1 -> System.arraycopy(payload, offset, model, at, pageSize);
                case 2 -> Arrays.fill(model, at, at + pageSize, (byte) 0);
                case 3 -> ReferenceXbzrle.apply(payload, offset, len, model, at, pageSize);
                default -> throw new AssertionError("batch " + b.getSequence() + " acknowledged with encoding "
                        + b.getEncodings().byteAt(i));
            }
            offset += len;
            d.digest(ByteBuffer.wrap(model, at, pageSize).slice(), want, 0);
            if (!Arrays.equals(want, 0, want.length, ackDigests.toByteArray(), i * want.length, (i + 1) * want.length)) {
                throw new AssertionError("ack of batch " + b.getSequence() + ": digest of page " + page
                        + " is not the digest of the bytes it should hold");
            }
            stats.pagesStored.increment();
        }
        lastSequence = b.getSequence();
        stats.batchesStored.increment();
    }

    /** The image file must be the model, byte for byte; a differing byte is a foreign one. */
    private void checkImage() throws IOException {
        if (model == null || !Files.exists(image)) {
            return;
        }
        byte[] file;
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(ch.size(), Integer.MAX_VALUE));
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // read it all
            }
            file = buf.array();
        }
        if (file.length != model.length) {
            // a refused hello after an accepted one may replace the file only when it creates a new image
            throw new AssertionError("image is " + file.length + " bytes, the model " + model.length);
        }
        int at = Arrays.mismatch(file, model);
        if (at >= 0) {
            long foreign = 0;
            for (int i = at; i < file.length; i++) {
                if (file[i] != model[i]) {
                    foreign++;
                }
            }
            stats.foreignBytes.add(foreign);
            throw new AssertionError(foreign + " foreign bytes in the image, the first at page " + at / pageSize
                    + " offset " + at % pageSize);
        }
    }

    private byte[] rootOfModel() {
        try {
            MessageDigest root = MessageDigest.getInstance("SHA-256");
            PageDigest d = kind.newDigest();
            byte[] one = new byte[d.length()];
            for (int at = 0; at < model.length; at += pageSize) {
                d.digest(ByteBuffer.wrap(model, at, pageSize).slice(), one, 0);
                root.update(one);
            }
            return root.digest();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
