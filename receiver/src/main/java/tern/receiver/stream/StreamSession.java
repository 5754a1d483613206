package tern.receiver.stream;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.time.Duration;
import tern.common.digest.DigestKind;
import tern.common.digest.RootDigest;
import tern.common.qemu.stream.DigestingSink;
import tern.common.qemu.stream.RamLayout;
import tern.proto.Complete;
import tern.proto.StreamChunk;
import tern.proto.Verdict;
import tern.receiver.session.ProtocolException;

/**
 * One relayed QEMU migration on the receiver (docs/design.md, "QEMU stream mode"): the chunks,
 * in sequence over the whole migration and across resumed streams, are written again as QEMU's
 * stream ({@link StreamRebuilder}) into the destination, through the receiver's authoritative
 * table ({@link DigestingSink#recording}: the digest of every page it wrote, computed here). At the
 * DEVICE_STATE record the sender's root must equal this table's before any device state is
 * written (invariant 1); at Complete the destination must report its load completed, and only
 * then is its guest continued. The position ({@link #nextSequence}) is what a resumed stream is
 * told: the chunks before it were written. Not thread-safe: its stream's one at a time.
 */
public final class StreamSession implements AutoCloseable {
    /** The rebuilt stream is gathered in a buffer of this size between writes into the destination's socket. */
    static final int REBUILD_BUFFER = 256 << 10;
    /** Chunks between two refreshes of the table's root during the live phase. */
    static final int REFRESH_CHUNKS = 64;

    private final RamLayout layout;
    private final StreamDestination.Connection destination;
    private final Duration loadTimeout;
    private final StreamRebuilder rebuilder;
    private final DigestingSink table;
    private final StreamChunkDecoder decoder;
    private final int digestLength;
    private long lastSequence;
    private long chunks;
    private StreamDestination.Running running;
    private byte[] ramRoot;

    public StreamSession(RamLayout layout, DigestKind kind, int maxChunkBytes, StreamDestination.Connection destination,
                         Duration loadTimeout) throws IOException {
        this.layout = layout;
        this.destination = destination;
        this.loadTimeout = loadTimeout;
        this.rebuilder = new StreamRebuilder(destination.stream(), REBUILD_BUFFER);
        this.table = DigestingSink.recording(kind, rebuilder);
        table.layout(layout);
        this.digestLength = kind.length();
        this.decoder = new StreamChunkDecoder(layout.pageCount(), maxChunkBytes, digestLength);
    }

    /** The first chunk this receiver has not written: where a resumed stream goes on. */
    public long nextSequence() {
        return lastSequence + 1;
    }

    public long chunks() {
        return chunks;
    }

    /** PAGE records written into the destination. */
    public long pagesStored() {
        return rebuilder.pageRecords();
    }

    public int digestLength() {
        return digestLength;
    }

    /**
     * Writes chunk {@code c} into the destination; returns the digests of its PAGE and ZERO records
     * (the acknowledgement's), in the first (records × digest length) bytes of a reused array.
     */
    public byte[] apply(StreamChunk c) throws ProtocolException {
        if (c.getSequence() != lastSequence + 1) {
            throw ProtocolException.invalid("stream_chunk " + Long.toUnsignedString(c.getSequence()) + ": sequence: expected "
                    + (lastSequence + 1));
        }
        byte[] digests;
        try {
            digests = decoder.apply(c, table, table.digests(), this::checkRoot);
            if (decoder.ended()) {
                destination.endOfStream();
            } else if (decoder.paused()) {
                // from the guest's pause on every byte is downtime: the destination loads each chunk
                // as it comes rather than when the rebuild buffer fills
                rebuilder.flush();
            } else if (c.getSequence() % REFRESH_CHUNKS == 0) {
                // keeps the root's runs current, so the root at the pause hashes only what the last pages changed
                table.digests().refresh();
            }
        } catch (IOException e) {
            throw ProtocolException.precondition("destination QEMU stopped taking the stream (" + e.getMessage() + "): "
                    + destination.describe());
        }
        lastSequence = c.getSequence();
        chunks++;
        return digests;
    }

    private void checkRoot(ByteString senderRoot) throws ProtocolException {
        byte[] mine = table.digests().root();
        ramRoot = mine;
        if (!ByteString.copyFrom(mine).equals(senderRoot)) {
            throw ProtocolException.precondition("stream_chunk.ram_root: the sender's table (root "
                    + RootDigest.hex(senderRoot.toByteArray()) + ") and this receiver's (root " + RootDigest.hex(mine)
                    + ") differ: the destination QEMU gets no device state and is ended");
        }
    }

    /**
     * The sender's Complete: once the whole stream was written and the roots agree, waits for the
     * destination to load it, continues its guest, and answers with the verdict.
     */
    public Verdict complete(Complete c) throws ProtocolException, InterruptedException {
        if (!decoder.ended()) {
            throw ProtocolException.invalid("complete: before the chunk holding STREAM_END (last chunk " + lastSequence + ")");
        }
        if (c.getLastSequence() != lastSequence) {
            throw ProtocolException.invalid("complete.last_sequence: " + c.getLastSequence() + ", but the last chunk is "
                    + lastSequence);
        }
        // no page record comes after DEVICE_STATE, whose root was computed then
        byte[] root = ramRoot != null ? ramRoot : table.digests().root();
        Verdict.Builder v = Verdict.newBuilder().setRootDigest(ByteString.copyFrom(root)).setPagesStored(pagesStored());
        if (!ByteString.copyFrom(root).equals(c.getRootDigest())) {
            return v.setOk(false).setReason("root mismatch: sender " + RootDigest.hex(c.getRootDigest().toByteArray())
                    + ", receiver " + RootDigest.hex(root) + "; the destination QEMU is ended").build();
        }
        try {
            running = destination.awaitLoadedAndContinue(loadTimeout);
        } catch (IOException e) {
            return v.setOk(false).setReason(e.getMessage() + "; the destination QEMU is ended").build();
        }
        return v.setOk(true).setDestinationPid((int) running.pid())
                .setResumedEpochMicros(running.resumedEpochMicros() == null ? 0 : running.resumedEpochMicros()).build();
    }

    /** The destination's guest, once it was continued; null before. */
    public StreamDestination.Running running() {
        return running;
    }

    public RamLayout layout() {
        return layout;
    }

    /** Ends the destination unless its guest was continued. */
    @Override
    public void close() {
        destination.close();
    }
}
