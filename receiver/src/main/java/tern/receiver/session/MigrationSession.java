package tern.receiver.session;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import tern.common.digest.DigestKind;
import tern.common.digest.RootDigest;
import tern.common.page.PageGeometry;
import tern.proto.Accept;
import tern.proto.BatchAck;
import tern.proto.Complete;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.Resync;
import tern.proto.SenderMessage;
import tern.proto.Verdict;
import tern.receiver.image.TargetImage;

/**
 * One migration as the receiver sees it, fed one message at a time by the stream:
 *
 * <pre>
 *   AWAIT_HELLO --hello--> RECEIVING --complete--> (roots equal)         --> DONE (verdict ok)
 *                            ^  batches, marks      (image drifted, rounds left) --resync--+
 *                            +-------------------------------------------------------------+
 *                                                   (otherwise)          --> DONE (verdict refused)
 * </pre>
 * Any refused message ends the session with a {@link ProtocolException}. Not thread-safe: the
 * stream delivers messages one at a time.
 */
public final class MigrationSession {
    public static final int PROTOCOL_VERSION = 1;
    /** Completion rounds that may find drifted pages before the receiver gives up. */
    static final int MAX_RESYNC_ROUNDS = 3;
    /** Drifted pages reported in one Resync message, well inside the message limit. */
    static final int MAX_RESYNC_PAGES = 65536;

    private enum State { AWAIT_HELLO, RECEIVING, DONE }

    private final Path imagePath;
    private final ReceiverConfig config;
    private final SessionListener listener;
    private State state = State.AWAIT_HELLO;
    private Hello hello;
    private String migrationId;
    private TargetImage image;
    private PageBatchDecoder decoder;
    private long lastSequence;
    private int iteration = 1;
    private int lastMarked;
    private int resyncRounds;
    private long batches;
    private Verdict verdict;

    public MigrationSession(Path imagePath, ReceiverConfig config, SessionListener listener) {
        this.imagePath = imagePath;
        this.config = config;
        this.listener = listener;
    }

    /** Handles one message and returns the reply to send, or null when there is none. */
    public ReceiverMessage handle(SenderMessage msg) throws ProtocolException {
        switch (msg.getKindCase()) {
            case HELLO:
                return ReceiverMessage.newBuilder().setAccept(onHello(msg.getHello())).build();
            case BATCH:
                return ReceiverMessage.newBuilder().setAck(onBatch(msg.getBatch())).build();
            case MARK:
                onMark(msg.getMark());
                return null;
            case COMPLETE:
                return onComplete(msg.getComplete());
            default:
                throw ProtocolException.invalid("message: no kind set (empty or unknown message)");
        }
    }

    public boolean done() {
        return state == State.DONE;
    }

    public Verdict verdict() {
        return verdict;
    }

    public Hello hello() {
        return hello;
    }

    /** The id from the hello, accepted or not; null before any hello. */
    public String migrationId() {
        return migrationId;
    }

    public long batches() {
        return batches;
    }

    public long pagesStored() {
        return image == null ? 0 : image.pagesStored();
    }

    public long pagesAlreadyHeld() {
        return image == null ? 0 : image.pagesAlreadyHeld();
    }

    private Accept onHello(Hello h) throws ProtocolException {
        if (state != State.AWAIT_HELLO) {
            throw ProtocolException.invalid("hello: a second hello on the same stream");
        }
        migrationId = h.getMigrationId().length() <= 128 ? h.getMigrationId() : h.getMigrationId().substring(0, 128) + "...";
        if (h.getProtocolVersion() != PROTOCOL_VERSION) {
            throw ProtocolException.precondition("hello.protocol_version: " + Integer.toUnsignedString(h.getProtocolVersion())
                    + " is not spoken here; this receiver speaks version " + PROTOCOL_VERSION);
        }
        if (h.getMigrationId().length() > 128) {
            throw ProtocolException.invalid("hello.migration_id: " + h.getMigrationId().length() + " characters, at most 128");
        }
        if (!PageGeometry.validPageSize(Integer.toUnsignedLong(h.getPageSize()))) {
            throw ProtocolException.invalid("hello.page_size: " + Integer.toUnsignedString(h.getPageSize())
                    + " is not a power of two in " + PageGeometry.MIN_PAGE_SIZE + ".." + PageGeometry.MAX_PAGE_SIZE);
        }
        long pageCount = h.getPageCount();
        if (pageCount <= 0 || pageCount > Integer.MAX_VALUE) {
            throw ProtocolException.invalid("hello.page_count: " + Long.toUnsignedString(pageCount)
                    + " is not in 1.." + Integer.MAX_VALUE);
        }
        long bytes = pageCount * h.getPageSize();
        if (bytes > config.maxImageBytes()) {
            throw ProtocolException.invalid("hello.page_count: an image of " + bytes + " bytes exceeds --max-image "
                    + config.maxImageBytes());
        }
        DigestKind kind;
        try {
            kind = DigestKind.fromProto(h.getDigest());
        } catch (IllegalArgumentException e) {
            throw ProtocolException.invalid("hello.digest: " + e.getMessage());
        }
        Set<PageEncoding> encodings = EnumSet.noneOf(PageEncoding.class);
        for (int i = 0; i < h.getEncodingsCount(); i++) {
            PageEncoding e = PageEncoding.forNumber(h.getEncodingsValue(i));
            if (e == null || e == PageEncoding.PAGE_ENCODING_UNSPECIFIED) {
                throw ProtocolException.invalid("hello.encodings[" + i + "]: unknown page encoding " + h.getEncodingsValue(i));
            }
            encodings.add(e);
        }
        if (!encodings.contains(PageEncoding.RAW)) {
            throw ProtocolException.invalid("hello.encodings: RAW must be offered");
        }
        long maxBatchPages = Integer.toUnsignedLong(h.getMaxBatchPages());
        long maxBatchBytes = maxBatchPages * (h.getPageSize() + 16L) + 1024;
        if (maxBatchPages == 0 || maxBatchBytes > config.maxMessageBytes()) {
            throw ProtocolException.invalid("hello.max_batch_pages: " + Integer.toUnsignedString(h.getMaxBatchPages())
                    + " pages of " + h.getPageSize() + " bytes do not fit the receiver's message limit of "
                    + config.maxMessageBytes() + " bytes");
        }
        if (h.getStreamCount() != 1 || h.getStreamIndex() != 0) {
            throw ProtocolException.precondition("hello.stream_count: " + h.getStreamCount()
                    + " streams (index " + h.getStreamIndex() + "); this receiver supports one stream per migration");
        }
        if (!h.getResumeToken().isEmpty()) {
            throw ProtocolException.precondition("hello.resume_token: this receiver has no migration to resume");
        }
        requireSpace(bytes);
        PageGeometry geometry = new PageGeometry(h.getPageSize(), pageCount);
        try {
            image = TargetImage.createZeroed(imagePath, geometry, kind);
        } catch (IOException | RuntimeException e) {
            throw ProtocolException.precondition("image " + imagePath + ": cannot create " + bytes + " bytes: " + e.getMessage());
        }
        hello = h;
        decoder = new PageBatchDecoder(image, (int) maxBatchPages, encodings);
        state = State.RECEIVING;
        listener.started(h);
        byte[] token = new byte[16];
        new SecureRandom().nextBytes(token);
        return Accept.newBuilder()
                .setResumeToken(ByteString.copyFrom(token))
                .setImageState(ImageState.ZEROED)
                .setWindow(config.window())
                .setMaxMessageBytes(config.maxMessageBytes())
                .build();
    }

    /** Refuses now, rather than failing a write half-way, when the image cannot fit where it goes. */
    private void requireSpace(long bytes) throws ProtocolException {
        try {
            Path dir = imagePath.toAbsolutePath().getParent();
            long usable = Files.getFileStore(dir).getUsableSpace();
            long replaced = Files.isRegularFile(imagePath) ? Files.size(imagePath) : 0;
            if (usable + replaced < bytes) {
                throw ProtocolException.precondition("image " + imagePath + ": " + bytes + " bytes needed, "
                        + (usable + replaced) + " available on its file system");
            }
        } catch (IOException e) {
            throw ProtocolException.precondition("image " + imagePath + ": cannot check free space: " + e.getMessage());
        }
    }

    private BatchAck onBatch(PageBatch b) throws ProtocolException {
        requireReceiving("batch");
        if (b.getSequence() != lastSequence + 1) {
            throw ProtocolException.invalid("batch " + Long.toUnsignedString(b.getSequence()) + ": sequence: expected "
                    + (lastSequence + 1));
        }
        if (b.getIteration() != iteration) {
            throw ProtocolException.invalid("batch " + Long.toUnsignedString(b.getSequence()) + ": iteration: "
                    + Integer.toUnsignedString(b.getIteration())
                    + ", but the current iteration is " + iteration);
        }
        byte[] digests = decoder.apply(b);
        lastSequence = b.getSequence();
        batches++;
        return BatchAck.newBuilder().setSequence(b.getSequence()).setDigests(ByteString.copyFrom(digests)).build();
    }

    private void onMark(IterationMark m) throws ProtocolException {
        requireReceiving("mark");
        if (m.getPhase() == Phase.PHASE_UNSPECIFIED || m.getPhase() == Phase.UNRECOGNIZED) {
            throw ProtocolException.invalid("mark.phase: unknown phase " + m.getPhaseValue());
        }
        if (Integer.compareUnsigned(m.getIteration(), lastMarked) <= 0 || Integer.compareUnsigned(m.getIteration(), iteration) < 0) {
            throw ProtocolException.invalid("mark.iteration: " + Integer.toUnsignedString(m.getIteration())
                    + " does not follow iteration " + iteration);
        }
        iteration = m.getIteration();
        lastMarked = iteration;
        listener.iteration(m.getIteration(), m.getPhase());
    }

    private ReceiverMessage onComplete(Complete c) throws ProtocolException {
        requireReceiving("complete");
        if (c.getLastSequence() != lastSequence) {
            throw ProtocolException.invalid("complete.last_sequence: " + c.getLastSequence()
                    + ", but the last batch received is " + lastSequence);
        }
        if (c.getRootDigest().size() != 32) {
            throw ProtocolException.invalid("complete.root_digest: " + c.getRootDigest().size() + " bytes, expected 32");
        }
        TargetImage.Verification v = image.verify(MAX_RESYNC_PAGES);
        ByteString root = ByteString.copyFrom(v.root());
        if (root.equals(c.getRootDigest())) {
            try {
                listener.verified();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                return finish(Verdict.newBuilder().setOk(false).setRootDigest(root)
                        .setReason("image verified, but " + (e.getMessage() == null ? e.toString() : e.getMessage()))
                        .setPagesStored(image.pagesStored()).setPagesAlreadyHeld(image.pagesAlreadyHeld()).build());
            }
            return finish(Verdict.newBuilder().setOk(true).setRootDigest(root).setPagesStored(image.pagesStored())
                    .setPagesAlreadyHeld(image.pagesAlreadyHeld()).build());
        }
        if (v.driftTotal() > 0 && resyncRounds < MAX_RESYNC_ROUNDS) {
            // The image no longer holds what we stored: tell the sender what it holds instead, so
            // it resends those pages (invariant 3) rather than failing a migration it can repair.
            resyncRounds++;
            listener.drift(v.driftTotal());
            int len = image.table().digestLength();
            byte[] digests = new byte[v.drifted().length * len];
            Resync.Builder r = Resync.newBuilder().setRound(resyncRounds);
            for (int i = 0; i < v.drifted().length; i++) {
                r.addPageIndexes(v.drifted()[i]);
                image.table().copyTo(v.drifted()[i], digests, i * len);
            }
            return ReceiverMessage.newBuilder().setResync(r.setDigests(ByteString.copyFrom(digests))).build();
        }
        String reason = "root mismatch: sender " + RootDigest.hex(c.getRootDigest().toByteArray())
                + ", image " + RootDigest.hex(v.root())
                + (v.driftTotal() > 0 ? " (" + v.driftTotal() + " pages changed behind the receiver after "
                        + resyncRounds + " resync rounds)" : "");
        return finish(Verdict.newBuilder().setOk(false).setRootDigest(root).setReason(reason)
                .setPagesStored(image.pagesStored()).setPagesAlreadyHeld(image.pagesAlreadyHeld()).build());
    }

    private ReceiverMessage finish(Verdict v) {
        verdict = v;
        state = State.DONE;
        return ReceiverMessage.newBuilder().setVerdict(v).build();
    }

    private void requireReceiving(String what) throws ProtocolException {
        if (state == State.AWAIT_HELLO) {
            throw ProtocolException.invalid(what + ": received before hello");
        }
        if (state == State.DONE) {
            throw ProtocolException.invalid(what + ": received after the verdict");
        }
    }

    /** Releases the image mapping; the file stays as it is. */
    public void close() {
        if (image != null) {
            try {
                image.close();
            } catch (IOException ignored) {
                // closing a mapping's channel does not fail in a way that harms the image
            }
        }
    }
}
