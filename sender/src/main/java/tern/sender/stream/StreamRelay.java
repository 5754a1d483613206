package tern.sender.stream;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import tern.common.qemu.stream.DigestingSink;
import tern.common.qemu.stream.QemuStreamFormat;
import tern.common.qemu.stream.RamBlock;
import tern.common.qemu.stream.RamLayout;
import tern.common.qemu.stream.StreamMilestone;
import tern.common.qemu.stream.StreamSink;
import tern.common.wire.Protocol;
import tern.proto.Accept;
import tern.proto.Complete;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.QemuRamBlock;
import tern.proto.QemuStreamHello;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.proto.Verdict;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.EngineListener;
import tern.sender.engine.MigrationFailure;
import tern.sender.engine.ResumingLink;
import tern.sender.transport.BandwidthLimiter;
import tern.sender.transport.MigrationChannel;
import tern.sender.transport.MigrationChannel.ChannelException;

/**
 * The relay of one QEMU migration stream to a receiver, on one thread, which alone owns every
 * piece of per-page state: QEMU's socket → {@link StreamParser} → the pass tap → the skip rule
 * ({@link DigestingSink#dropHeld}) → {@link StreamChunkEncoder} → {@link ReplayWindow} → the
 * {@link ResumingLink}. The hello goes once the stream's setup record named the RAM blocks; the
 * receiver's acknowledgements are settled here, between sends, so nothing else touches the table.
 *
 * <p>Back-pressure ({@link RelayBudget}): the parser reads from QEMU only while this thread is
 * not waiting on the link (the bandwidth cap, the transport, a full replay window), so QEMU's
 * socket takes bytes only as fast as they leave or are dropped. From the guest's pause on the cap
 * no longer applies, as QEMU lifts its own max-bandwidth for its completion: every byte then is
 * downtime.
 *
 * <p>A resume ({@link #reattach}) resends, in order, every chunk the receiver has not written to
 * the destination; the sender's table needs no exchange (the chunks before the receiver's
 * position were applied, the rest will be). The end: the stream's END chunk, then Complete with
 * the root, then the receiver's verdict, which comes only after the destination loaded the
 * stream and, when the roots agree, runs.
 */
final class StreamRelay implements StreamChunkEncoder.Chunks, ResumingLink.Reattach {
    /** Chunks between two refreshes of the table's root during the live phase. */
    static final int REFRESH_CHUNKS = 64;

    /** What the relay carried, for the figures. */
    record Result(Verdict verdict, RamLayout layout, StreamTally tally, long pagesHeld, byte[] root,
                  Marks marks, long unsentPeak, long replayPeak) {
    }

    /**
     * When the relay met the points of the switchover (host wall clock, microseconds; 0: not met):
     * the guest's pause and the device state parsed from QEMU's stream, the stream's end, and the
     * receiver's acknowledgement of the END chunk. With QEMU's STOP and RESUME they say where the
     * guest's downtime went.
     */
    record Marks(long pausedParsed, long deviceStateParsed, long endParsed, long endAcked) {
    }

    private final QemuStreamChannel in;
    private final RelayBudget budget;
    private final EngineConfig cfg;
    private final String qemuVersion;
    private final ResumingLink link;
    private final BandwidthLimiter limiter;
    private final ReplayWindow window;
    private final PassFigures passes;
    private final EngineListener listener;
    private final StreamParser parser;
    private final DigestingSink held;
    private final StreamChunkEncoder encoder;
    private RamLayout layout;
    private boolean opened;
    /** From the guest's pause in the stream on: no bandwidth cap. */
    private boolean paused;
    /** Set before Complete is first sent: from then on the receiver may continue the destination. */
    private volatile boolean completeSent;
    private long pausedParsed;
    private long deviceStateParsed;
    private long endParsed;
    private long endAcked;
    /** The root at the DEVICE_STATE record, after which no page record comes. */
    private byte[] ramRoot;

    StreamRelay(QemuStreamChannel in, RelayBudget budget, EngineConfig cfg, String qemuVersion, MigrationChannel channel,
                java.time.Duration resumeTimeout, EngineListener listener) throws IOException {
        this.in = in;
        this.budget = budget;
        this.cfg = cfg;
        this.qemuVersion = qemuVersion;
        this.listener = listener;
        this.link = new ResumingLink(channel, resumeTimeout, this, listener);
        this.limiter = new BandwidthLimiter(cfg.bandwidthBytesPerSecond());
        this.window = new ReplayWindow(cfg.window(), budget.maxRecords(), budget.chunkPayloadBytes(), cfg.digest().length());
        this.parser = new StreamParser(in, budget.readBufferBytes());
        // the skip rule feeds the encoder, which reads the rule's table: the lambdas read the field when called
        this.passes = new PassFigures(link.meter(), link::reconnects, this::pagesHeld, listener);
        this.encoder = new StreamChunkEncoder(this, this::table, passes);
        this.held = DigestingSink.dropHeld(cfg.digest(), encoder);
        in.watch(encoder::flush, this::unsentBytes);
        passes.start();
    }

    /**
     * Bytes taken from QEMU and not yet in the transport nor dropped: read and not yet parsed,
     * in the chunk being filled, in chunks kept and not yet sent.
     */
    private long unsentBytes() {
        return in.bytesRead() - parser.offset() + encoder.pendingBytes() + window.unsentBytes();
    }

    private long pagesHeld() {
        return held.dropped();
    }

    private tern.common.qemu.stream.StreamDigests table() {
        return held.digests();
    }

    /** Pages of guest RAM; 0 before the setup record named the blocks. */
    long pagesTotal() {
        return layout == null ? 0 : layout.pageCount();
    }

    PassFigures passes() {
        return passes;
    }

    ResumingLink link() {
        return link;
    }

    /** Whether the receiver may have continued the destination: Complete went, and no verdict came back. */
    boolean completeSent() {
        return completeSent;
    }

    /** Relays the stream to its end and returns the receiver's verdict with the figures; fails otherwise. */
    Result run() throws MigrationFailure, InterruptedException {
        try {
            parser.run(new Tap());
        } catch (LinkFailed f) {
            throw f.failure;
        } catch (InterruptedIOException e) {
            throw new InterruptedException(e.getMessage());
        } catch (IOException e) {
            throw new MigrationFailure(e.getMessage(), e);
        }
        passes.finish();
        // the table is final from the DEVICE_STATE record on: its root went with that chunk
        byte[] root = ramRoot != null ? ramRoot : held.digests().root();
        SenderMessage complete = SenderMessage.newBuilder().setComplete(Complete.newBuilder()
                .setRootDigest(ByteString.copyFrom(root)).setLastSequence(window.lastSequence())).build();
        // Ordering rule (docs/design.md): Complete only once every chunk is in the transport; a
        // resume under it has resent the kept chunks first, and Complete goes again
        Verdict verdict = link.repeatOnResume(() -> {
            completeSent = true;
            link.send(complete);
            while (true) {
                ReceiverMessage m = link.take();
                if (m.hasAck()) {
                    settle(m);
                    continue;
                }
                if (!m.hasVerdict()) {
                    throw new MigrationFailure("receiver sent " + m.getKindCase() + " instead of its verdict");
                }
                if (!window.empty()) {
                    throw new MigrationFailure("receiver's verdict came before every chunk was acknowledged");
                }
                return m.getVerdict();
            }
        });
        link.finish();
        return new Result(verdict, layout, parser.tally(), held.dropped(), root,
                new Marks(pausedParsed, deviceStateParsed, endParsed, endAcked), in.unsentPeak(), window.keptPeak());
    }

    // ------------------------------------------------------------------ the encoder's Chunks

    @Override
    public ChunkSlot empty() throws IOException {
        if (window.full()) {
            if (!opened) {
                throw new IOException("QEMU's stream filled " + cfg.window() + " chunks before its setup record named"
                        + " the RAM blocks");
            }
            // Ordering rule (docs/design.md): reading from QEMU stops while the replay window is full
            onLink(() -> {
                while (window.full()) {
                    settle(link.take());
                }
                return null;
            });
        }
        return window.take();
    }

    @Override
    public void full(ChunkSlot chunk) throws IOException {
        window.add(chunk);
        passes.publish();
        if (chunk.paused()) {
            paused = true;
        } else if (!paused() && window.lastSequence() % REFRESH_CHUNKS == 0) {
            // keeps the root's runs current, so the root at the pause hashes only what the last pages changed
            held.digests().refresh();
        }
        pump();
        listener.batchSent(passes.pass(), 0, 0, 0, link.meter().outbound());
    }

    @Override
    public byte[] root() {
        ramRoot = held.digests().root();
        return ramRoot;
    }

    /**
     * Whether the guest is paused: the stream says so, or QEMU's STOP event came first (the bytes
     * still ahead of the pause in the stream are downtime too). The cap no longer applies then.
     */
    private boolean paused() {
        return paused || passes.isGuestStopped();
    }

    /** Sends every kept chunk not yet sent, then settles the acknowledgements that arrived. */
    private void pump() throws IOException {
        if (!opened) {
            return; // the opening bytes wait for the hello
        }
        onLink(() -> {
            while (window.hasUnsent()) {
                ChunkSlot c = window.nextUnsent();
                long t0 = System.nanoTime();
                if (!paused()) {
                    limiter.awaitTurn();
                }
                long before = link.meter().outbound();
                link.send(c);
                limiter.sent(link.meter().outbound() - before);
                passes.busy(System.nanoTime() - t0);
                window.markSent();
            }
            ReceiverMessage m;
            while ((m = link.poll()) != null) {
                settle(m);
            }
            return null;
        });
    }

    private void settle(ReceiverMessage m) throws MigrationFailure {
        boolean end = window.oldestIsEnd();
        passes.mismatches(window.onAck(m, held.digests()));
        if (end) {
            endAcked = epochMicros();
        }
    }

    private static long epochMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** Runs a step on the link from a sink's method, whose signature knows only IOException. */
    private void onLink(ResumingLink.Step<Void> step) throws IOException {
        try {
            link.repeatOnResume(step);
        } catch (MigrationFailure f) {
            throw new LinkFailed(f);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while relaying");
        }
    }

    /** The hello, once QEMU's setup record named the blocks; the accept must start at chunk 1. */
    private void open(RamLayout l) throws IOException {
        layout = l;
        QemuStreamHello.Builder q = QemuStreamHello.newBuilder().setQemuVersion(qemuVersion)
                .setMaxChunkBytes(budget.chunkPayloadBytes());
        String machine = parser.tally().machineType();
        if (machine != null) {
            q.setMachineType(machine);
        }
        for (RamBlock b : l.blocks()) {
            q.addBlocks(QemuRamBlock.newBuilder().setIdstr(b.idstr()).setUsedBytes(b.usedBytes()));
        }
        Hello hello = Hello.newBuilder().setProtocolVersion(Protocol.PROTOCOL_VERSION).setMigrationId(cfg.migrationId())
                .setPageSize(QemuStreamFormat.PAGE_SIZE).setPageCount(l.pageCount()).setDigest(cfg.digest().toProto())
                .setStreamIndex(0).setStreamCount(1).setQemuStream(q).build();
        try {
            Accept a = link.open(hello, ImageState.STREAM_POSITION);
            if (a.getStreamNextSequence() != 1) {
                throw new MigrationFailure("receiver accepted a new QEMU stream at chunk " + a.getStreamNextSequence()
                        + ", not 1");
            }
            window.limit(Math.max(1, Math.min(cfg.window(), a.getWindow() == 0 ? cfg.window() : a.getWindow())));
        } catch (MigrationFailure f) {
            throw new LinkFailed(f);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while opening the link");
        }
        opened = true;
        listener.message("relaying QEMU's stream: " + l.pageCount() + " pages of guest RAM (" + l + "), machine " + machine);
        pump();
    }

    // ------------------------------------------------------------------ resume

    @Override
    public ResumingLink.Reattached reattach(Accept accept, MigrationChannel channel, long deadlineNanos)
            throws ChannelException, MigrationFailure, InterruptedException {
        if (accept.getImageState() != ImageState.STREAM_POSITION) {
            throw new MigrationFailure("receiver answered a resuming hello with an accept of image state "
                    + accept.getImageState() + ", not STREAM_POSITION");
        }
        long next = accept.getStreamNextSequence();
        int chunks = window.resumeFrom(next);
        long pages = 0;
        // Ordering rule (docs/design.md): the kept chunks go again in their order, before anything else
        while (window.hasUnsent()) {
            ChunkSlot c = window.nextUnsent();
            if (!paused()) {
                limiter.awaitTurn();
            }
            long before = channel.meter().outbound();
            channel.send(c);
            limiter.sent(channel.meter().outbound() - before);
            window.markSent();
            pages += c.pageRecords();
        }
        passes.resent(pages);
        return new ResumingLink.Reattached(pages, "the receiver has written chunks 1.." + (next - 1)
                + " into the destination; resending " + chunks + " chunks (" + pages + " pages) from " + next);
    }

    // ------------------------------------------------------------------ the sinks

    /** Before the skip rule: counts QEMU's records into passes and opens the link at the layout. */
    private final class Tap implements StreamSink {
        @Override
        public void opaque(ByteBuffer bytes) throws IOException {
            held.opaque(bytes);
        }

        @Override
        public void layout(RamLayout l) throws IOException {
            held.layout(l);
            open(l);
        }

        @Override
        public void page(int page, ByteBuffer bytes) throws IOException {
            passes.seen();
            held.page(page, bytes);
        }

        @Override
        public void zero(int page) throws IOException {
            passes.seen();
            held.zero(page);
        }

        @Override
        public void milestone(StreamMilestone m) throws IOException {
            if (m == StreamMilestone.GUEST_PAUSED) {
                pausedParsed = epochMicros();
                passes.paused();
            } else {
                deviceStateParsed = epochMicros();
            }
            held.milestone(m);
        }

        @Override
        public void end() throws IOException {
            endParsed = epochMicros();
            held.end();
        }
    }

    /** A failure of the link, carried out of a sink's method. */
    private static final class LinkFailed extends IOException {
        final MigrationFailure failure;

        LinkFailed(MigrationFailure failure) {
            super(failure.getMessage(), failure);
            this.failure = failure;
        }
    }
}
