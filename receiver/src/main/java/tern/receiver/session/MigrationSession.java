package tern.receiver.session;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import tern.common.page.PageGeometry;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.wire.Protocol;
import tern.common.digest.RootDigest;
import tern.common.wire.PeerText;
import tern.proto.Accept;
import tern.proto.Complete;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
import tern.proto.PageBatch;
import tern.proto.Phase;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMessage;
import tern.proto.ReceiverMessage;
import tern.proto.Resync;
import tern.proto.SenderMessage;
import tern.proto.StreamChunk;
import tern.proto.Verdict;
import tern.receiver.image.TargetImage;
import tern.receiver.stream.StreamDestination;
import tern.receiver.stream.StreamSession;

/**
 * One migration as the receiver sees it, fed one message at a time by its stream:
 *
 * <pre>
 *   AWAIT_HELLO --hello--> RECEIVING --complete--> (roots equal)         --> DONE (verdict ok)
 *                            ^  batches, marks      (image drifted, rounds left) --resync--+
 *                            +-------------------------------------------------------------+
 *                            ^                      (otherwise)          --> DONE (verdict refused)
 *                            +-- resume (a new stream with the token; {@link #restore}d after a restart)
 * </pre>
 * Any refused message ends the session with a {@link ProtocolException}. Not thread-safe: the
 * service hands it to one stream at a time, which delivers messages one at a time.
 */
public final class MigrationSession {
    /** Drifted pages reported in one Resync message, well inside the message limit. */
    static final int MAX_RESYNC_PAGES = 65536;

    private enum State { AWAIT_HELLO, RECEIVING, DONE }

    private final Path imagePath;
    private final ReceiverConfig config;
    private final SessionListener listener;
    private final HelloCheck check;
    private State state = State.AWAIT_HELLO;
    private String migrationId;
    private TargetImage image;
    private PageBatchDecoder decoder;
    private long lastSequence;
    private int iteration = 1;
    private int lastMarked;
    private int resyncRounds;
    private long batches;
    private Verdict verdict;
    private ResumeState resume;
    /** A relayed QEMU stream's migration (hello.qemu_stream); null for a page migration. */
    private StreamSession stream;
    private final AckMessage ack = new AckMessage();
    private final IterationTally tally = new IterationTally();

    public MigrationSession(Path imagePath, ReceiverConfig config, SessionListener listener) {
        this.imagePath = imagePath;
        this.config = config;
        this.listener = listener;
        this.check = new HelloCheck(imagePath, config);
    }

    /**
     * Handles one message and returns the reply to send, or null when there is none. An
     * acknowledgement is a view of this session's reusable buffers: send it before the next call.
     */
    public WireMessage handle(SenderMessage msg) throws ProtocolException {
        switch (msg.getKindCase()) {
            case HELLO:
                return new ProtoWire(ReceiverMessage.newBuilder().setAccept(onHello(msg.getHello())).build());
            case BATCH:
                return onBatch(msg.getBatch());
            case MARK:
                onMark(msg.getMark());
                return null;
            case COMPLETE:
                return new ProtoWire(stream != null ? onStreamComplete(msg.getComplete()) : onComplete(msg.getComplete()));
            case STREAM_CHUNK:
                return onStreamChunk(msg.getStreamChunk());
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

    /** The id from the hello, accepted or not; null before any hello. */
    public String migrationId() {
        return migrationId;
    }

    public long batches() {
        return stream != null ? stream.chunks() : batches;
    }

    public long pagesStored() {
        return stream != null ? stream.pagesStored() : image == null ? 0 : image.pagesStored();
    }

    public long pagesAlreadyHeld() {
        return image == null ? 0 : image.pagesAlreadyHeld();
    }

    /** Whether a resumed stream is sent the digest table (a page migration) or only told its position (a QEMU stream). */
    public boolean resendsTable() {
        return stream == null;
    }

    /**
     * The migration id of {@code h} as the receiver names it everywhere, in refusals and log lines
     * before the hello is checked too: at most 128 characters, control characters escaped (PeerText).
     */
    public static String idOf(Hello h) {
        return PeerText.clean(h.getMigrationId(), 128);
    }

    private Accept onHello(Hello h) throws ProtocolException {
        if (state != State.AWAIT_HELLO) {
            throw ProtocolException.invalid("hello: a second hello on the same stream");
        }
        migrationId = idOf(h);
        if (h.hasQemuStream() || config.streams() != null) {
            return onStreamHello(h);
        }
        // Ordering (docs/design.md): the whole hello, free disk and heap included, is checked before
        // the image is created, so a refused hello changes nothing (invariant 4)
        HelloCheck.Asked a = check.newMigration(h);
        try {
            image = TargetImage.createZeroed(imagePath, a.geometry(), a.kind());
        } catch (IOException | RuntimeException e) {
            throw ProtocolException.precondition("image " + imagePath + ": cannot create " + a.geometry().bytes()
                    + " bytes: " + e.getMessage());
        }
        resume = ResumeState.create(imagePath, migrationId, image, a.kind());
        // Ordering (docs/design.md): unsealed before the decoder exists, so before the first store.
        resume.unseal();
        decoder = new PageBatchDecoder(image, a.maxBatchPages(), a.encodings());
        state = State.RECEIVING;
        listener.started(h);
        return accept(ImageState.ZEROED);
    }

    private Accept accept(ImageState imageState) {
        Accept.Builder a = Accept.newBuilder()
                .setResumeToken(resume.token())
                .setImageState(imageState)
                .setWindow(config.window())
                .setMaxMessageBytes(config.maxMessageBytes());
        if (stream != null) {
            a.setStreamNextSequence(stream.nextSequence());
        }
        return a.build();
    }

    // ---------------------------------------------------------------- a relayed QEMU stream

    /**
     * A QEMU stream's hello: checked whole, then the destination QEMU is started and checked
     * against it and made to listen, before the accept, so a destination that cannot load the
     * stream refuses the hello and nothing of the source has moved.
     */
    private Accept onStreamHello(Hello h) throws ProtocolException {
        if (config.streams() == null) {
            throw ProtocolException.precondition("hello.qemu_stream: this receiver writes page migrations into --image;"
                    + " a QEMU stream needs tern-receiver --qemu-stream -- QEMU-COMMAND...");
        }
        if (!h.hasQemuStream()) {
            throw ProtocolException.precondition("hello.qemu_stream: missing; this receiver (--qemu-stream) carries QEMU"
                    + " streams only, a page migration needs tern-receiver --image");
        }
        HelloCheck.StreamAsked a = check.streamMigration(h);
        StreamDestination.Connection destination;
        try {
            destination = config.streams().open(h.getQemuStream(), a.layout());
        } catch (IOException e) {
            throw ProtocolException.precondition("hello: destination QEMU: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProtocolException.precondition("hello: interrupted while starting the destination QEMU");
        }
        try {
            stream = new StreamSession(a.layout(), a.kind(), a.maxChunkBytes(), destination, config.streamLoadTimeout());
        } catch (IOException e) {
            destination.close();
            throw ProtocolException.precondition("hello: destination QEMU: " + e.getMessage());
        }
        resume = ResumeState.inMemory(migrationId, new PageGeometry(QemuStreamFormat.PAGE_SIZE, a.layout().pageCount()),
                a.kind());
        state = State.RECEIVING;
        listener.started(h);
        return accept(ImageState.STREAM_POSITION);
    }

    private WireMessage onStreamChunk(StreamChunk c) throws ProtocolException {
        requireReceiving("stream_chunk");
        if (stream == null) {
            throw ProtocolException.invalid("stream_chunk: migration " + migrationId + " is a page migration");
        }
        byte[] digests = stream.apply(c);
        return ack.of(c.getSequence(), digests, c.getPageIndexesCount() * stream.digestLength());
    }

    private ReceiverMessage onStreamComplete(Complete c) throws ProtocolException {
        requireReceiving("complete");
        try {
            verdict = stream.complete(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ProtocolException.precondition("complete: interrupted while the destination QEMU loaded the stream");
        }
        state = State.DONE;
        if (verdict.getOk()) {
            listener.handedOver(stream.running().pid(), stream.running().resumedEpochMicros());
        }
        return ReceiverMessage.newBuilder().setVerdict(verdict).build();
    }

    // ---------------------------------------------------------------- the resume edges

    /**
     * A restarted receiver's migration, from the resume file next to {@code imagePath}, awaiting
     * its resume; null when there is none ({@link ResumeState#restore}).
     */
    public static MigrationSession restore(Path imagePath, ReceiverConfig config, SessionListener listener)
            throws IOException {
        ResumeState r = ResumeState.restore(imagePath);
        if (r == null) {
            return null;
        }
        MigrationSession s = new MigrationSession(imagePath, config, listener);
        s.resume = r;
        s.image = r.image();
        s.migrationId = r.header().migrationId();
        s.state = State.RECEIVING;
        return s;
    }

    /** For a restored session: null when the sealed table was trusted, else why it was rebuilt from the image. */
    public String restoredDistrust() {
        return resume.restoredDistrust();
    }

    /** This migration's token, its resume file and the table a resumed stream is sent; null before a hello was accepted. */
    public ResumeState resumeState() {
        return resume;
    }

    /** Whether this migration can be resumed (accepted, not yet decided) and {@code t} is its token; constant time. */
    public boolean tokenMatches(ByteString t) {
        return state == State.RECEIVING && resume.tokenMatches(t);
    }

    /**
     * Continues this migration on a new stream: the stream's batches number from 1 again and it
     * announces its iteration with a mark; the table follows the Accept. A hello that does not ask
     * for this migration, or a resume file that cannot be unsealed, is refused with nothing changed.
     */
    public Accept resume(Hello h) throws ProtocolException {
        if (stream != null) {
            check.resumingStream(h, stream.layout(), resume.header().digest(), migrationId);
            resume.resumed();
            return accept(ImageState.STREAM_POSITION);
        }
        HelloCheck.Asked a = check.resuming(h, resume.header());
        // Ordering (docs/design.md): unsealed before this stream's decoder exists, so before its first store.
        resume.unseal();
        decoder = new PageBatchDecoder(image, a.maxBatchPages(), a.encodings());
        lastSequence = 0;
        iteration = 0;
        lastMarked = 0;
        resume.resumed();
        return accept(ImageState.FROM_TABLE);
    }

    // ---------------------------------------------------------------- receiving

    private WireMessage onBatch(PageBatch b) throws ProtocolException {
        requireReceiving("batch");
        requirePages("batch");
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
        return ack.of(b.getSequence(), digests, b.getPageIndexesCount() * image.table().digestLength());
    }

    private void onMark(IterationMark m) throws ProtocolException {
        requireReceiving("mark");
        requirePages("mark");
        if (m.getPhase() == Phase.PHASE_UNSPECIFIED || m.getPhase() == Phase.UNRECOGNIZED) {
            throw ProtocolException.invalid("mark.phase: unknown phase " + m.getPhaseValue());
        }
        if (Integer.compareUnsigned(m.getIteration(), lastMarked) <= 0 || Integer.compareUnsigned(m.getIteration(), iteration) < 0) {
            throw ProtocolException.invalid("mark.iteration: " + Integer.toUnsignedString(m.getIteration())
                    + " does not follow iteration " + iteration);
        }
        iteration = m.getIteration();
        lastMarked = iteration;
        if (!tally.isOpen(iteration)) { // a resumed stream announces the iteration in progress again
            endIteration();
            tally.begin(iteration, m.getPhase(), pagesStored(), pagesAlreadyHeld(), batches);
        }
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
        endIteration();
        // Ordering (docs/design.md): every digest is recomputed from the image bytes before the
        // roots are compared (invariant 1)
        TargetImage.Verification v = image.verify(MAX_RESYNC_PAGES);
        ByteString root = ByteString.copyFrom(v.root());
        if (root.equals(c.getRootDigest())) {
            // Ordering (docs/design.md): the image forced and the resume file gone, durably, before
            // the verdict exists: a receiver killed once the sender read "verified" holds the image
            // and offers nothing to resume
            String notDurable = resume.finished();
            return finish(root, notDurable != null ? notDurable : readyForVerdict());
        }
        if (v.driftTotal() > 0 && resyncRounds < Protocol.MAX_RESYNC_ROUNDS) {
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
        return finish(root, "root mismatch: sender " + RootDigest.hex(c.getRootDigest().toByteArray())
                + ", image " + RootDigest.hex(v.root())
                + (v.driftTotal() > 0 ? " (" + v.driftTotal() + " pages changed behind the receiver after "
                        + resyncRounds + " resync rounds)" : ""));
    }

    /**
     * Ordering (docs/design.md): whatever must be ready when the sender reads an ok verdict (a
     * destination QEMU listening) is made ready before the verdict exists. Null when it is, else
     * the verdict's refusal.
     */
    private String readyForVerdict() {
        try {
            listener.verified();
            return null;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return "image verified, but " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** The verdict: ok when {@code refusal} is null; the session is over either way. */
    private ReceiverMessage finish(ByteString root, String refusal) {
        Verdict.Builder v = Verdict.newBuilder().setOk(refusal == null).setRootDigest(root)
                .setPagesStored(image.pagesStored()).setPagesAlreadyHeld(image.pagesAlreadyHeld());
        if (refusal != null) {
            v.setReason(refusal);
        }
        verdict = v.build();
        state = State.DONE;
        return ReceiverMessage.newBuilder().setVerdict(verdict).build();
    }

    private void requirePages(String what) throws ProtocolException {
        if (stream != null) {
            throw ProtocolException.invalid(what + ": migration " + migrationId + " relays a QEMU stream (stream_chunk)");
        }
    }

    /** The iteration in progress ended (the next one's mark, or the completion): its figures to the listener. */
    private void endIteration() {
        ReceivedIteration r = tally.end(migrationId, pagesStored(), pagesAlreadyHeld(), batches);
        if (r != null) {
            listener.iterationEnded(r);
        }
    }

    private void requireReceiving(String what) throws ProtocolException {
        if (state == State.AWAIT_HELLO) {
            throw ProtocolException.invalid(what + ": received before hello");
        }
        if (state == State.DONE) {
            throw ProtocolException.invalid(what + ": received after the verdict");
        }
    }

    /** Closes the image file; the file stays as it is. */
    public void close() {
        if (stream != null) {
            stream.close();
        }
        if (image != null) {
            try {
                image.close();
            } catch (IOException ignored) {
                // closing the image's channel does not fail in a way that harms the image
            }
        }
    }
}
