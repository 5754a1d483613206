package tern.receiver.session;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;
import tern.common.digest.DigestKind;
import tern.common.digest.RootDigest;
import tern.common.page.PageGeometry;
import tern.proto.Accept;
import tern.proto.Complete;
import tern.proto.DigestTableChunk;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
import tern.proto.PageBatch;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMessage;
import tern.proto.ReceiverMessage;
import tern.proto.Resync;
import tern.proto.SenderMessage;
import tern.proto.Verdict;
import tern.receiver.image.ResumeFile;
import tern.receiver.image.TargetImage;

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
    public static final int PROTOCOL_VERSION = 1;
    /** Completion rounds that may find drifted pages before the receiver gives up. */
    static final int MAX_RESYNC_ROUNDS = 3;
    /** Drifted pages reported in one Resync message, well inside the message limit. */
    static final int MAX_RESYNC_PAGES = 65536;
    /** Digest bytes per DigestTableChunk: well inside any sender's 4 MiB inbound limit. */
    static final int TABLE_CHUNK_BYTES = 1 << 20;

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
    private byte[] token;
    private ResumeFile.Header resumeHeader;
    private int resumes;
    private String restoredDistrust;
    private final AckMessage ack = new AckMessage();

    public MigrationSession(Path imagePath, ReceiverConfig config, SessionListener listener) {
        this.imagePath = imagePath;
        this.config = config;
        this.listener = listener;
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
                return new ProtoWire(onComplete(msg.getComplete()));
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

    /** What a valid hello asks for. */
    private record Asked(PageGeometry geometry, DigestKind kind, Set<PageEncoding> encodings, int maxBatchPages) {
    }

    private Asked validate(Hello h) throws ProtocolException {
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
        return new Asked(new PageGeometry(h.getPageSize(), pageCount), kind, encodings, (int) maxBatchPages);
    }

    private Accept onHello(Hello h) throws ProtocolException {
        if (state != State.AWAIT_HELLO) {
            throw ProtocolException.invalid("hello: a second hello on the same stream");
        }
        migrationId = h.getMigrationId().length() <= 128 ? h.getMigrationId() : h.getMigrationId().substring(0, 128) + "...";
        Asked a = validate(h);
        if (!h.getResumeToken().isEmpty()) {
            throw ProtocolException.precondition("hello.resume_token: this receiver has no migration to resume");
        }
        long bytes = a.geometry().bytes();
        requireSpace(bytes);
        requireHeap(a.geometry().pageCount(), a.kind());
        try {
            image = TargetImage.createZeroed(imagePath, a.geometry(), a.kind());
        } catch (IOException | RuntimeException e) {
            throw ProtocolException.precondition("image " + imagePath + ": cannot create " + bytes + " bytes: " + e.getMessage());
        }
        token = new byte[16];
        new SecureRandom().nextBytes(token);
        resumeHeader = new ResumeFile.Header(migrationId, token, a.geometry(), a.kind());
        unseal();
        hello = h;
        decoder = new PageBatchDecoder(image, a.maxBatchPages(), a.encodings());
        state = State.RECEIVING;
        listener.started(h);
        return Accept.newBuilder()
                .setResumeToken(ByteString.copyFrom(token))
                .setImageState(ImageState.ZEROED)
                .setWindow(config.window())
                .setMaxMessageBytes(config.maxMessageBytes())
                .build();
    }

    /** Before any page of a stream is stored: a receiver killed from here on rebuilds its table from the image. */
    private void unseal() throws ProtocolException {
        try {
            ResumeFile.writeUnsealed(imagePath, resumeHeader);
        } catch (IOException e) {
            throw ProtocolException.precondition("resume file " + ResumeFile.pathFor(imagePath) + ": cannot write: "
                    + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- resume

    /**
     * A restarted receiver's migration, from the resume file next to {@code imagePath}; null when
     * there is none. The table is the sealed one when the image is as it was sealed, else it is
     * rebuilt from the image bytes ({@link #restoredTrusted()} says which).
     */
    public static MigrationSession restore(Path imagePath, ReceiverConfig config, SessionListener listener)
            throws IOException {
        ResumeFile.Loaded l = ResumeFile.load(imagePath);
        if (l == null) {
            return null;
        }
        MigrationSession s = new MigrationSession(imagePath, config, listener);
        ResumeFile.Header h = l.header();
        s.image = TargetImage.openExisting(imagePath, h.geometry(), h.digest());
        if (l.digests() != null) {
            s.image.loadTable(l.digests());
        } else {
            s.image.rebuildTable();
        }
        s.restoredDistrust = l.digests() == null ? l.distrust() : null;
        s.token = h.token();
        s.migrationId = h.migrationId();
        s.resumeHeader = h;
        s.state = State.RECEIVING;
        return s;
    }

    /** For a restored session: null when the sealed table was trusted, else why it was rebuilt from the image. */
    public String restoredDistrust() {
        return restoredDistrust;
    }

    public int digestLength() {
        return image.table().digestLength();
    }

    /** Whether this migration can be resumed (accepted, not yet decided) and {@code t} is its token; constant time. */
    public boolean tokenMatches(ByteString t) {
        return state == State.RECEIVING && token != null && MessageDigest.isEqual(token, t.toByteArray());
    }

    /** Checks a resuming hello against this migration without changing anything. */
    public void checkResume(Hello h) throws ProtocolException {
        Asked a = validate(h);
        PageGeometry g = image.geometry();
        if (a.geometry().pageSize() != g.pageSize() || a.geometry().pages() != g.pages()) {
            throw ProtocolException.precondition("hello.page_count: resuming migration " + migrationId + " of "
                    + g.pages() + " pages of " + g.pageSize() + " B, not " + a.geometry().pages() + " of "
                    + a.geometry().pageSize() + " B");
        }
        if (a.kind() != resumeHeader.digest()) {
            throw ProtocolException.precondition("hello.digest: resuming migration " + migrationId + " digested with "
                    + resumeHeader.digest().cliName() + ", not " + a.kind().cliName());
        }
    }

    /**
     * Continues this migration on a new stream (after {@link #checkResume}): the stream's batches
     * number from 1 again and it announces its iteration with a mark; the table follows the Accept.
     */
    public Accept resume(Hello h) throws ProtocolException {
        checkResume(h);
        Asked a = validate(h);
        unseal();
        decoder = new PageBatchDecoder(image, a.maxBatchPages(), a.encodings());
        if (hello == null) {
            hello = h;
        }
        lastSequence = 0;
        iteration = 0;
        lastMarked = 0;
        resumes++;
        return Accept.newBuilder()
                .setResumeToken(ByteString.copyFrom(token))
                .setImageState(ImageState.FROM_TABLE)
                .setWindow(config.window())
                .setMaxMessageBytes(config.maxMessageBytes())
                .build();
    }

    /** Streams that resumed this migration. */
    public int resumes() {
        return resumes;
    }

    /** The table from {@code firstPage}: the digests of what the image holds, computed here (invariant 3). */
    public DigestTableChunk tableChunk(int firstPage) {
        int len = image.table().digestLength();
        int n = Math.min(image.table().pages() - firstPage, TABLE_CHUNK_BYTES / len);
        return DigestTableChunk.newBuilder()
                .setFirstPage(firstPage)
                .setDigests(ByteString.copyFrom(image.table().raw(), firstPage * len, n * len))
                .setLast(firstPage + n == image.table().pages())
                .build();
    }

    /**
     * The stream was lost: seal the table with the image's identity so that a receiver restarted
     * from here trusts it (unless the image changes meanwhile). Failing that, the file stays
     * unsealed and a restart rebuilds the table; the error is returned for the log.
     */
    public String suspend() {
        if (image == null || resumeHeader == null) {
            return null;
        }
        try {
            ResumeFile.writeSealed(imagePath, resumeHeader, image);
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot seal " + ResumeFile.pathFor(imagePath) + ": " + e.getMessage();
        }
    }

    /** The migration is over (verified or failed for good): nothing is left to resume. */
    public void forget() {
        try {
            ResumeFile.delete(imagePath);
        } catch (IOException ignored) {
            // a stale resume file names a token no sender will present; deleting it is only tidiness
        }
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


    /**
     * The digest table lives on the heap: a hello asking for more pages than it can hold is refused
     * here, since running out of heap would end the process rather than this migration (invariant 4).
     */
    private static void requireHeap(long pageCount, DigestKind kind) throws ProtocolException {
        long table = pageCount * kind.length();
        Runtime rt = Runtime.getRuntime();
        long available = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        // half of what is free: the rest is for the transport, the stream's buffers and garbage
        if (table > available / 2) {
            throw ProtocolException.precondition("hello.page_count: " + pageCount + " pages need a digest table of "
                    + table + " bytes; this receiver's heap has " + available + " bytes free (raise -Xmx through"
                    + " TERN_JAVA_OPTS, or use larger pages)");
        }
    }

    private WireMessage onBatch(PageBatch b) throws ProtocolException {
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
        return ack.of(b.getSequence(), digests, b.getPageIndexesCount() * image.table().digestLength());
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
