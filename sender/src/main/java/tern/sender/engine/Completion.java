package tern.sender.engine;

import com.google.protobuf.ByteString;
import tern.common.wire.Protocol;
import tern.common.digest.PageDigest;
import tern.common.digest.RootDigest;
import tern.proto.Complete;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.Resync;
import tern.proto.SenderMessage;
import tern.proto.Verdict;
import tern.sender.source.MemorySource;

/**
 * The end of a migration, with the source paused: the stop-and-copy pass, then the source's root
 * to the receiver and its resync rounds until its verdict ({@link #complete}). The stop-and-copy
 * pass, each resync round and the resend after a resume during completion all pass until nothing
 * is dirty through one loop, {@link #settle}. Runs on the engine thread.
 */
final class Completion {
    /** Passes after the first that may resend pages whose acknowledgements disagreed, before giving up. */
    private static final int MAX_FINAL_PASSES = 4;

    private final PrecopyLoop loop;
    private final ResumingLink link;
    private final AckWindow window;
    private final PageState state;
    private final MemorySource source;
    private final PageDigest digest;
    private final EngineListener listener;
    private long resyncPages;

    Completion(PrecopyLoop loop, ResumingLink link, AckWindow window, PageState state, MemorySource source,
               PageDigest digest, EngineListener listener) {
        this.loop = loop;
        this.link = link;
        this.window = window;
        this.state = state;
        this.source = source;
        this.digest = digest;
        this.listener = listener;
    }

    /**
     * The stop-and-copy pass, the source paused since {@code pausedAt} ({@link System#nanoTime()}).
     *
     * @return the downtime: until the acknowledgement of the last stop-and-copy batch, or until
     *         now if the pass had nothing to send (the last acknowledgement predates the pause)
     */
    long stopAndCopy(long pausedAt) throws MigrationFailure, InterruptedException {
        // Pages whose acknowledgement showed the receiver holds something else are dirty again
        // (invariant 3); the source is paused, so this ends.
        settle();
        long lastAck = window.lastAckNanos();
        return (lastAck > pausedAt ? lastAck : System.nanoTime()) - pausedAt;
    }

    /**
     * Passes, each with its acknowledgements drained, until no page is dirty. With the source
     * paused only an acknowledgement that disagrees (invariant 3) leaves a page dirty after a
     * pass (a resume starts the pass over), so this ends, or the receiver keeps disagreeing.
     */
    private void settle() throws MigrationFailure, InterruptedException {
        for (int extra = 0; ; extra++) {
            loop.pass(true);
            if (state.bitmap.nextSetBit(0) < 0) {
                return;
            }
            if (extra >= MAX_FINAL_PASSES) {
                throw new MigrationFailure("receiver kept acknowledging digests that differ from what was sent");
            }
        }
    }

    /** Sends the source's root and answers the receiver's resync requests until it verifies the image. */
    Verdict complete() throws MigrationFailure, InterruptedException {
        ByteString root = ByteString.copyFrom(sourceRoot());
        for (int round = 0; ; round++) {
            ReceiverMessage reply = link.repeatOnResume(() -> {
                // Ordering rule (docs/design.md): completion only with nothing dirty and nothing in
                // flight. A resume here found pages the receiver lacks (the source is paused): they go first.
                if (state.bitmap.nextSetBit(0) >= 0) {
                    resyncPass(state.bitmap.cardinality());
                }
                link.send(SenderMessage.newBuilder().setComplete(Complete.newBuilder()
                        .setRootDigest(root).setLastSequence(window.lastSequence())).build());
                return link.take();
            });
            if (reply.hasVerdict()) {
                if (!reply.getVerdict().getOk()) {
                    throw new MigrationFailure("receiver refused completion: " + reply.getVerdict().getReason());
                }
                return reply.getVerdict();
            }
            if (!reply.hasResync() || round == Protocol.MAX_RESYNC_ROUNDS) {
                throw new MigrationFailure("receiver answered completion with " + reply.getKindCase());
            }
            resync(reply.getResync());
        }
    }

    /** Pages the receiver reported changed in its image, in all rounds. */
    long resyncPages() {
        return resyncPages;
    }

    /** The image drifted from what the receiver stored: record what it holds and resend those pages. */
    private void resync(Resync r) throws MigrationFailure, InterruptedException {
        int digestLength = state.digestLength;
        if (r.getDigests().size() != r.getPageIndexesCount() * digestLength) {
            throw new MigrationFailure("receiver's resync has " + r.getDigests().size() + " digest bytes for "
                    + r.getPageIndexesCount() + " pages");
        }
        byte[] d = r.getDigests().toByteArray();
        for (int i = 0; i < r.getPageIndexesCount(); i++) {
            long p = r.getPageIndexes(i);
            if (p < 0 || p >= state.pages) {
                throw new MigrationFailure("receiver's resync names page " + p + " of " + state.pages);
            }
            state.receiverHolds((int) p, d, i * digestLength);
        }
        resyncPages += r.getPageIndexesCount();
        listener.message("receiver found " + r.getPageIndexesCount() + " pages changed in its image; resending them");
        resyncPass(r.getPageIndexesCount());
    }

    /** An iteration of its own (phase resync) over the pages dirty now. */
    private void resyncPass(long pagesDirty) throws MigrationFailure, InterruptedException {
        loop.beginIteration(Phase.RESYNC, pagesDirty, null);
        settle();
        loop.endIteration(true);
    }

    /** SHA-256 over the digests of the source's pages as they are now (paused). */
    private byte[] sourceRoot() {
        RootDigest root = new RootDigest();
        byte[] d = new byte[state.digestLength];
        for (int p = 0; p < state.pages; p++) {
            digest.digest(source.page(p), d, 0);
            root.add(d, 0, state.digestLength);
        }
        return root.finish();
    }
}
