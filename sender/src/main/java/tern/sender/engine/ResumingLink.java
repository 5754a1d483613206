package tern.sender.engine;

import com.google.protobuf.ByteString;
import java.time.Duration;
import tern.common.wire.Protocol;
import tern.common.page.PageGeometry;
import tern.common.units.Durations;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMessage;
import tern.proto.Accept;
import tern.proto.Hello;
import tern.proto.ImageState;
import tern.proto.IterationMark;
import tern.proto.PageEncoding;
import tern.proto.Phase;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.sender.transport.MigrationChannel;
import tern.sender.transport.MigrationChannel.ChannelException;
import tern.sender.transport.WireMeter;

/**
 * The migration's stream to the receiver, kept across lost connections. It owns the
 * {@link MigrationChannel}, the hello and the resume token the receiver's accept gives back, the
 * back-off between reconnection attempts, the resuming hello, and the hand-off of the receiver's
 * digest table to the {@link TableReconciler}. The source keeps running while it reconnects.
 *
 * <p><b>How a resume is signalled.</b> {@link #send}, {@link #take} and {@link #poll} either do
 * their work on the current stream, or, when the connection is lost and --resume-timeout allows,
 * resume and then throw {@link Resumed}: the operation did not happen, and by then a new stream is
 * open on which (1) the engine's {@code forgetStream} hook has emptied the {@link AckWindow} and
 * dropped the batch being filled, (2) the receiver's table has made dirty every page it lacks,
 * and (3) the current iteration's mark has gone out. {@code Resumed} is checked, so the compiler
 * lists every method it can leave, and it is caught in exactly one place, {@link #repeatOnResume},
 * which runs the interrupted step again from its start: each step is written so that starting
 * over on the new stream is right (a pass starts from page 0, a drain finds nothing in flight,
 * the completion exchange first resends what the table put back). Steps may nest; a resume
 * restarts the innermost, the one it interrupted. {@link #announce} never throws it, since the
 * resume itself re-announces the iteration. A loss that cannot be resumed (no --resume-timeout,
 * a refusal, the timeout spent) is a {@link MigrationFailure}.
 */
public final class ResumingLink implements AckWindow.Replies {
    /** A piece of the migration that starts over when the link resumes. */
    @FunctionalInterface
    public interface Step<T> {
        T run() throws Resumed, MigrationFailure, InterruptedException;
    }

    /**
     * What a resumed stream does once the receiver accepted it, before the interrupted step starts
     * over: the pre-copy loop reads the receiver's table and re-announces its iteration
     * ({@link #reattachFromTable}); a relayed QEMU stream resends the chunks not yet applied. It
     * sends on the channel itself: a loss there is one more attempt of the same resume.
     */
    @FunctionalInterface
    public interface Reattach {
        Reattached reattach(Accept accept, MigrationChannel channel, long deadlineNanos)
                throws ChannelException, MigrationFailure, InterruptedException;
    }

    /** What a reattached stream resends ({@code count}, for the listener) and the log's words for it. */
    public record Reattached(long count, String says) {
    }

    private final MigrationChannel channel;
    /** Null: a lost connection fails the migration. Else how long to keep trying to resume it. */
    private final Duration resumeTimeout;
    private final TableReconciler reconciler;
    private final Runnable forgetStream;
    private final Reattach reattach;
    private final EngineListener listener;
    private Hello hello;
    /** From the first Accept; read by a cancel from another thread. */
    private volatile ByteString token;
    private SenderMessage mark;
    private int reconnects;

    /**
     * @param resumeTimeout how long to keep reconnecting after a loss, or null to fail at once
     * @param reconciler    takes the receiver's table after a resume; null when nothing resumes
     * @param forgetStream  forgets what the lost stream carried (the window, the batch being filled)
     */
    ResumingLink(MigrationChannel channel, Duration resumeTimeout, TableReconciler reconciler, Runnable forgetStream,
                 EngineListener listener) {
        this.channel = channel;
        this.resumeTimeout = resumeTimeout;
        this.reconciler = reconciler;
        this.forgetStream = forgetStream;
        this.reattach = this::reattachFromTable;
        this.listener = listener;
    }

    /**
     * A link whose resumed streams are brought up to date by {@code reattach} (a relayed QEMU
     * stream's), opened with {@link #open(Hello, ImageState)}.
     *
     * @param resumeTimeout how long to keep reconnecting after a loss, or null to fail at once
     */
    public ResumingLink(MigrationChannel channel, Duration resumeTimeout, Reattach reattach, EngineListener listener) {
        this.channel = channel;
        this.resumeTimeout = resumeTimeout;
        this.reconciler = null;
        this.forgetStream = null;
        this.reattach = reattach;
        this.listener = listener;
    }

    /**
     * The first stream: the hello for a migration of {@code g} under {@code cfg}, then the
     * receiver's accept with the resume token. A loss here is not resumed.
     */
    Accept open(EngineConfig cfg, PageGeometry g) throws MigrationFailure, InterruptedException {
        Hello.Builder h = Hello.newBuilder().setProtocolVersion(Protocol.PROTOCOL_VERSION).setMigrationId(cfg.migrationId())
                .setPageSize(g.pageSize()).setPageCount(g.pages()).setDigest(cfg.digest().toProto())
                .addEncodings(PageEncoding.RAW).addEncodings(PageEncoding.ZERO).setMaxBatchPages(cfg.batchPages())
                .setStreamIndex(0).setStreamCount(1);
        return open((cfg.xbzrle() ? h.addEncodings(PageEncoding.XBZRLE) : h).build(), ImageState.ZEROED);
    }

    /**
     * The first stream: {@code hello}, then the receiver's accept, which must offer {@code expected},
     * with the resume token. A loss here is not resumed.
     */
    public Accept open(Hello hello, ImageState expected) throws MigrationFailure, InterruptedException {
        this.hello = hello;
        ReceiverMessage reply;
        StringBuilder unreachable = new StringBuilder();
        for (int tried = 1; ; tried++) {
            try {
                channel.open();
                channel.send(SenderMessage.newBuilder().setHello(hello).build());
                reply = channel.take();
                break;
            } catch (ChannelException e) {
                // The first address that answers decides (it accepts or refuses); one that cannot be
                // reached is passed over for the next --to lists.
                if (!e.resumable() || tried == channel.addressCount()) {
                    throw new MigrationFailure(unreachable + e.getMessage(), e);
                }
                unreachable.append(e.getMessage()).append("; ");
                try {
                    channel.reconnect(true);
                } catch (ChannelException abandoned) {
                    throw new MigrationFailure(abandoned.getMessage(), abandoned);
                }
            }
        }
        if (!reply.hasAccept()) {
            throw new MigrationFailure("receiver answered hello with " + reply.getKindCase() + " instead of accept");
        }
        Accept a = reply.getAccept();
        if (a.getImageState() != expected) {
            throw new MigrationFailure("receiver offers image state " + a.getImageState() + " where this sender needs "
                    + expected + (expected == ImageState.STREAM_POSITION
                    ? " (a receiver that does not carry QEMU streams: run it with --qemu-stream)" : ""));
        }
        token = a.getResumeToken();
        return a;
    }

    /**
     * Makes iteration {@code iteration}'s mark the current one and sends it. Every stream carries
     * the current mark before its batches: a resume sends it on the new stream, so this never
     * throws {@link Resumed}.
     */
    void announce(int iteration, Phase phase) throws MigrationFailure, InterruptedException {
        mark = SenderMessage.newBuilder()
                .setMark(IterationMark.newBuilder().setIteration(iteration).setPhase(phase)).build();
        try {
            channel.send(mark);
        } catch (ChannelException e) {
            resume(e);
        }
    }

    public void send(SenderMessage m) throws Resumed, MigrationFailure, InterruptedException {
        send(new ProtoWire(m));
    }

    /** Sends {@code m}; it has been written into the transport's buffers when this returns. */
    public void send(WireMessage m) throws Resumed, MigrationFailure, InterruptedException {
        try {
            channel.send(m);
        } catch (ChannelException e) {
            resume(e);
            throw new Resumed();
        }
    }

    @Override
    public ReceiverMessage take() throws Resumed, MigrationFailure, InterruptedException {
        try {
            return channel.take();
        } catch (ChannelException e) {
            resume(e);
            throw new Resumed();
        }
    }

    @Override
    public ReceiverMessage poll() throws Resumed, MigrationFailure, InterruptedException {
        try {
            return channel.poll();
        } catch (ChannelException e) {
            resume(e);
            throw new Resumed();
        }
    }

    /** Runs {@code step}; each time the link resumes under it, runs it again from its start. */
    public <T> T repeatOnResume(Step<T> step) throws MigrationFailure, InterruptedException {
        while (true) {
            try {
                return step.run();
            } catch (Resumed r) {
                // the one place a resume is caught: the step starts over on the new stream
            }
        }
    }

    /** Resumes so far. */
    public int reconnects() {
        return reconnects;
    }

    public WireMeter meter() {
        return channel.meter();
    }

    /** Half-closes the stream after the verdict. */
    public void finish() {
        channel.finish();
    }

    /** Gives up: the receiver is told (a Cancel) and ends the migration rather than hold it for a resume. */
    public void abort(String why) {
        channel.abort(why, token);
    }

    /** Whether the receiver accepted the migration (there is a token to present). */
    public boolean accepted() {
        return token != null;
    }

    /** Gives up from another thread: every later step fails; nothing is sent yet ({@link #cancel}). */
    public void abandon(String why) {
        channel.abandon(why);
    }

    /** Tells the receiver the migration is over, and waits up to {@code confirm} for it to say so. Any thread. */
    public boolean cancel(String why, Duration confirm) throws InterruptedException {
        return channel.cancel(why, token, confirm);
    }

    /**
     * The connection was lost: reconnect with back-off, presenting the migration's token, until
     * the receiver accepts or --resume-timeout runs out; then bring the new stream up to date
     * ({@link Reattach}).
     */
    private void resume(ChannelException cause) throws MigrationFailure, InterruptedException {
        if (resumeTimeout == null || !cause.resumable()) {
            throw new MigrationFailure(cause.getMessage());
        }
        listener.message("connection lost (" + cause.getMessage() + "); resuming, for up to "
                + Durations.format(resumeTimeout));
        long start = System.nanoTime();
        long deadline = start + resumeTimeout.toNanos();
        long backoffMs = 50;
        String last = cause.getMessage();
        int addresses = channel.addressCount();
        int refusedInARow = 0;
        for (int attempt = 1; ; attempt++) {
            try {
                // the same address first; then each --to address in turn: the token decides which
                // receiver holds the migration
                channel.reconnect(attempt > 1 && addresses > 1);
                channel.open();
                // bounded by the resume's deadline: a peer that never opens the stream is one more attempt
                channel.send(SenderMessage.newBuilder().setHello(hello.toBuilder().setResumeToken(token)).build(),
                        Math.max(1, deadline - System.nanoTime()));
                ReceiverMessage reply = channel.take(Math.max(1, deadline - System.nanoTime()));
                if (!reply.hasAccept()) {
                    throw new MigrationFailure("receiver " + channel.address() + " answered a resuming hello with "
                            + reply.getKindCase());
                }
                Reattached r = reattach.reattach(reply.getAccept(), channel, deadline);
                reconnects++;
                listener.message("resumed after " + attempt + " attempt(s) in " + (System.nanoTime() - start) / 1_000_000
                        + " ms (reconnect " + reconnects + (addresses > 1 ? ", at " + channel.address() : "")
                        + "): " + r.says());
                listener.resumed(reconnects, r.count());
                return;
            } catch (ChannelException e) {
                last = e.getMessage();
                // A refusal (no such migration, another token, a certificate) is final when it is the
                // only address, or when every address refused in turn: none holds the migration.
                refusedInARow = e.resumable() ? 0 : refusedInARow + 1;
                if (refusedInARow >= addresses) {
                    throw new MigrationFailure("could not resume: " + last);
                }
            }
            if (System.nanoTime() + backoffMs * 1_000_000 >= deadline) {
                throw new MigrationFailure("could not resume within --resume-timeout " + Durations.format(resumeTimeout)
                        + " (" + attempt + " attempts): " + last);
            }
            // back-off between connection attempts: a real wait, not a synchronisation (a cancel ends it)
            channel.idle(backoffMs);
            backoffMs = Math.min(backoffMs * 2, 2_000);
        }
    }

    /** The pre-copy loop's {@link Reattach}: the receiver's table, then the current iteration's mark. */
    private Reattached reattachFromTable(Accept accept, MigrationChannel channel, long deadline)
            throws ChannelException, MigrationFailure, InterruptedException {
        if (accept.getImageState() != ImageState.FROM_TABLE) {
            throw new MigrationFailure("receiver " + channel.address()
                    + " answered a resuming hello with an accept of image state " + accept.getImageState());
        }
        long lacking = reconcile(deadline);
        // Ordering rule (docs/design.md): the mark before any batch on the new stream; the
        // receiver starts its iteration count over with each stream.
        channel.send(mark);
        return new Reattached(lacking, "the receiver lacks " + lacking + " pages sent; resending them");
    }

    /**
     * Forgets what the lost stream carried, then reads the receiver's table, in chunks, into the
     * sender's view ({@link TableReconciler}).
     *
     * @return the pages the receiver lacks, now dirty again
     */
    private long reconcile(long deadline) throws ChannelException, MigrationFailure, InterruptedException {
        // Ordering rule (docs/design.md): forget before the table. A batch numbered on the old
        // stream must not meet the new stream's acknowledgements, and the table then settles every
        // page those batches carried.
        forgetStream.run();
        reconciler.begin();
        while (true) {
            ReceiverMessage m = channel.take(Math.max(1, deadline - System.nanoTime()));
            if (!m.hasTable()) {
                throw new MigrationFailure("receiver sent " + m.getKindCase() + " instead of its digest table");
            }
            if (reconciler.apply(m.getTable())) {
                return reconciler.lacking();
            }
        }
    }
}
