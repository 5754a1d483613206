package tern.receiver.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import tern.common.wire.PeerText;
import tern.common.units.Durations;
import tern.common.wire.ProtoWire;
import tern.common.wire.WireMarshaller;
import tern.common.wire.WireMessage;
import tern.common.wire.ZeroCopyParser;
import tern.proto.Cancel;
import tern.proto.DigestTableChunk;
import tern.proto.Hello;
import tern.proto.MigrationGrpc;
import tern.proto.ReceiverMessage;
import tern.proto.SenderMessage;
import tern.receiver.image.ResumeFile;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ProtocolException;
import tern.receiver.session.ReceiverConfig;
import tern.receiver.session.ResumeState;
import tern.receiver.session.SessionListener;

/**
 * The gRPC face of the receiver. It <em>holds</em> at most one migration (the image is a single
 * file), fed by one stream at a time. Inbound flow control is manual, after grpc-java's
 * ManualFlowControlServer: the next message is requested only once the previous one has been
 * stored and acknowledged and the outbound side is ready, so a sender that stops reading acks
 * stops being read, and buffered input stays bounded by one message plus HTTP/2's window. Both
 * directions skip protobuf's generic paths: inbound messages are parsed in place
 * ({@link ZeroCopyParser}), acknowledgements write themselves ({@link WireMessage}).
 *
 * <p>Resume: when the stream feeding the held migration is lost (reset, keepalive timeout,
 * cancelled), the migration is kept, its table sealed on disk, for {@code resumeTimeout}. A new
 * stream whose hello presents the migration's token takes it over, replacing the old stream if
 * the receiver has not noticed its loss yet (a link that went dark sends no reset); it then gets
 * the digest table in chunks, as fast as its transport takes them (a chunk is written only while
 * the outbound side is ready, so about one chunk at most is queued on this side). A stream without
 * the token, or with another, is refused and the held migration is left as it was. A sender that
 * half-closes before completion, or sends a Cancel, has given up: its migration ends for good, as
 * after any refused message.
 *
 * <p>Hostile peers (docs/hostile-input.md): each stream has a {@link StreamGuard} (a small limit for
 * its first message; the transport's refusals reach the stream as refusals, not as a lost link)
 * and a {@link StreamDeadline} (for its hello, for a new migration's first message, between
 * messages). A migration that received nothing after its hello is not held for a resume.
 *
 * <p>Every stream's callbacks and the held migration are guarded by one lock: at most one stream
 * does work at a time anyway, and one lock cannot deadlock a stream handing over to another.
 */
final class MigrationService {
    private final Path imagePath;
    private final ReceiverConfig config;
    private final SessionListener listener;
    private final Consumer<MigrationOutcome> onOutcome;
    private final ServerLimits limits;
    /** One line per stream refused before it fed a migration (a pre-hello flood, an idle stream). */
    private final Consumer<String> refusals;
    private final ZeroCopyParser<SenderMessage> parser =
            new ZeroCopyParser<>(SenderMessage.getDefaultInstance(), () -> SenderMessage.newBuilder().build());
    private final Object lock = new Object();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tern-resume-timer");
        t.setDaemon(true);
        return t;
    });
    /** The migration this receiver holds, streaming or awaiting a resume; null when free. */
    private Held held;

    MigrationService(Path imagePath, ReceiverConfig config, SessionListener listener, Consumer<MigrationOutcome> onOutcome,
                     MigrationSession restored, ServerLimits limits, Consumer<String> refusals) {
        this.imagePath = imagePath;
        this.config = config;
        this.listener = listener;
        this.onOutcome = onOutcome;
        this.limits = limits;
        this.refusals = refusals;
        if (restored != null) {
            synchronized (lock) {
                held = new Held(restored);
                held.fed = true;
                awaitResume(held);
            }
        }
    }

    /** The service with the sender's messages parsed in place ({@link ZeroCopyParser}). */
    ServerServiceDefinition definition() {
        MethodDescriptor<SenderMessage, WireMessage> method = MigrationGrpc.getMigrateMethod()
                .toBuilder(parser, new WireMarshaller()).build();
        return ServerServiceDefinition.builder(MigrationGrpc.SERVICE_NAME)
                .addMethod(method, ServerCalls.asyncBidiStreamingCall(this::migrate))
                .build();
    }

    void shutdown() {
        synchronized (lock) {
            timer.shutdownNow();
        }
    }

    /** Whether a migration is held (streaming or awaiting a resume). */
    boolean holds() {
        synchronized (lock) {
            return held != null;
        }
    }

    StreamObserver<SenderMessage> migrate(StreamObserver<WireMessage> responses) {
        ServerCallStreamObserver<WireMessage> out = (ServerCallStreamObserver<WireMessage>) responses;
        out.disableAutoRequest();
        StreamGuard guard = StreamGuard.KEY.get();
        if (guard == null) {
            throw new IllegalStateException("the service runs only on a server with its StreamGuards (ReceiverServer)");
        }
        Stream stream = new Stream(new CallOut(out), guard);
        // onReady runs serialised with onNext; it must only request or send, never block.
        out.setOnReadyHandler(stream::onReady);
        out.setOnCancelHandler(() -> stream.lost("sender cancelled the stream or the connection was lost"));
        // Ordering (docs/design.md): the guard takes the stream's refusals before the first message is
        // requested, so no byte of it is read unguarded
        guard.attach(stream);
        stream.out.request(1);
        return stream;
    }

    private static final class Held {
        final MigrationSession session;
        Stream owner;
        ScheduledFuture<?> expiry;
        /** A message other than a hello was handled: a migration that never had one is not held for a resume. */
        boolean fed;

        Held(MigrationSession session) {
            this.session = session;
        }
    }

    /** Called with the lock held: the migration waits, sealed, for a stream with its token. */
    private void awaitResume(Held h) {
        if (timer.isShutdown()) {
            return; // the receiver is closing: a restarted one resumes from the sealed resume file
        }
        Duration timeout = config.resumeTimeout();
        h.expiry = timer.schedule(() -> {
            synchronized (lock) {
                if (held == h && h.owner == null) {
                    end(h, MigrationOutcome.failed("no stream resumed the migration within --resume-timeout "
                            + Durations.format(timeout), h.session), true);
                }
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Called with the lock held: how long a migration whose stream is gone is held, and how to drop it. */
    private String awaiting(Held h) {
        long left = h.expiry == null ? 0 : Math.max(0, h.expiry.getDelay(TimeUnit.SECONDS) + 1);
        return "; its stream is gone and it is held for a resume for another " + Durations.format(Duration.ofSeconds(left))
                + " (resume file " + ResumeFile.pathFor(imagePath) + "): if its sender is gone for good, restart"
                + " tern-receiver with --discard-resume";
    }

    /** Called with the lock held: the migration is over, verified or failed for good. */
    private void end(Held h, MigrationOutcome outcome, boolean forget) {
        if (h.expiry != null) {
            h.expiry.cancel(false);
        }
        h.session.close();
        if (forget) {
            h.session.resumeState().forget();
        }
        if (held == h) {
            held = null;
        }
        onOutcome.accept(outcome);
    }

    private final class Stream implements StreamObserver<SenderMessage>, StreamGuard.Served {
        private final CallOut out;
        private final StreamGuard guard;
        private final StreamDeadline deadline;
        /** The migration this stream feeds, once its hello was accepted. */
        private Held attached;
        /** The session a first message opened, accepted or not: names a refused stream's outcome. */
        private MigrationSession candidate;
        // Guards against requesting twice: set when a message was handled while outbound was not ready.
        private boolean wantMore;
        private boolean ended;
        /** After a resuming Accept: the next page of the table to send, -1 when none is pending. */
        private int tableNext = -1;

        Stream(CallOut out, StreamGuard guard) {
            this.out = out;
            this.guard = guard;
            this.deadline = new StreamDeadline(timer, lock, limits, this::expired);
        }

        /** Under the lock, once, where the stream ends: nothing will expire it, and it no longer counts as open. */
        private void finished() {
            ended = true;
            deadline.stop();
            guard.serviceDone();
        }

        void onReady() {
            synchronized (lock) {
                if (ended) {
                    return;
                }
                if (tableNext >= 0) {
                    sendTable();
                } else if (wantMore) {
                    wantMore = false;
                    out.request(1);
                }
            }
        }

        @Override
        public void onNext(SenderMessage msg) {
            try {
                handle(msg);
            } finally {
                // Ordering (docs/design.md): the batch's payload is a view of the transport's buffers;
                // they go back only once its pages have been stored (or refused).
                parser.release(msg);
            }
        }

        private void handle(SenderMessage msg) {
            synchronized (lock) {
                if (ended || out.closed()) {
                    // a message queued before the transport refused a later one: lost() ends the stream
                    return;
                }
                WireMessage reply;
                if (attached == null && candidate == null) {
                    candidate = new MigrationSession(imagePath, config, listener);
                }
                try {
                    String undecodable = parser.undecodableReason(msg);
                    if (undecodable != null) {
                        throw ProtocolException.invalid("message: undecodable protobuf: " + undecodable);
                    }
                    if (msg.hasCancel()) {
                        cancel(msg.getCancel());
                        return;
                    }
                    reply = attached == null ? first(msg) : attached.session.handle(msg);
                } catch (ProtocolException e) {
                    refuse(e.getMessage(), e.toStatus());
                    return;
                } catch (RuntimeException e) {
                    // A bug here must end this migration, not the process (invariant 4).
                    refuse("receiver error: " + e, Status.INTERNAL.withDescription("receiver error: " + e));
                    return;
                }
                if (reply != null) {
                    // Ordering (docs/design.md): an ack is a view of the session's reusable buffers, so it
                    // is written out before the next message can be handled
                    out.send(reply);
                }
                MigrationSession session = attached.session;
                if (session.done()) {
                    end(attached, session.verdict().getOk() ? MigrationOutcome.verified(session)
                            : MigrationOutcome.failed(session.verdict().getReason(), session), true);
                    out.complete();
                    finished();
                    return;
                }
                if (!msg.hasHello()) {
                    attached.fed = true;
                }
                deadline.progressed(attached.fed ? StreamDeadline.Wait.NEXT : StreamDeadline.Wait.FIRST_AFTER_HELLO);
                // Ordering (docs/design.md): after a resuming Accept the whole table goes out before the
                // stream's next message is read, so it describes the image as it was at the Accept.
                if (tableNext >= 0) {
                    sendTable();
                } else {
                    requestNext();
                }
            }
        }

        /**
         * Ordering (docs/design.md): called only once the previous message was stored and its reply
         * written, and requests only while the outbound side is ready, so a sender that stops
         * reading acks stops being read. Otherwise onReady requests, once: wantMore is grpc-java's
         * wasReady guard against requesting twice.
         */
        private void requestNext() {
            if (out.isReady()) {
                out.request(1);
            } else {
                wantMore = true;
            }
        }

        /** A stream's first message: a new migration's hello, or a resuming one with the held migration's token. */
        private WireMessage first(SenderMessage msg) throws ProtocolException {
            MigrationSession s = candidate;
            if (!msg.hasHello()) {
                // the session names what came before the hello ("batch: received before hello")
                return s.handle(msg);
            }
            Hello h = msg.getHello();
            if (h.getResumeToken().isEmpty()) {
                // Ordering (docs/design.md): refused before the session sees the hello, since
                // accepting one creates the image afresh, over the held migration's.
                if (held != null) {
                    throw ProtocolException.precondition("hello: a migration is already in progress on this receiver ("
                            + held.session.migrationId() + "); only a stream presenting its resume_token may continue it"
                            + (held.owner == null ? awaiting(held) : ""));
                }
                WireMessage accept;
                try {
                    accept = s.handle(msg);
                } catch (ProtocolException | RuntimeException e) {
                    s.close();
                    throw e;
                }
                held = new Held(s);
                held.owner = this;
                attached = held;
                guard.helloAccepted();
                return accept;
            }
            if (held == null) {
                throw ProtocolException.precondition("hello.resume_token: this receiver has no migration to resume");
            }
            if (!held.session.tokenMatches(h.getResumeToken())) {
                throw ProtocolException.denied("hello.resume_token: not the token of migration " + held.session.migrationId()
                        + "; refused");
            }
            // Ordering (docs/design.md): the session checks the hello and unseals before anything
            // else changes hands, so a refused stream leaves the held migration, its stream and its
            // expiry as they were (invariant 4).
            WireMessage accept = new ProtoWire(ReceiverMessage.newBuilder().setAccept(held.session.resume(h)).build());
            if (held.owner != null) {
                held.owner.replaced();
            }
            if (held.expiry != null) {
                held.expiry.cancel(false);
            }
            held.owner = this;
            attached = held;
            guard.helloAccepted();
            // a page migration's resumed stream gets the table; a QEMU stream's, only its position (in the accept)
            tableNext = held.session.resendsTable() ? 0 : -1;
            listener.resumed(held.session.migrationId(), held.session.resumeState().resumes());
            return accept;
        }

        /**
         * The sender gave the migration up: it ends at once, for good (resume file deleted), and the
         * stream closes OK, which the sender takes as the confirmation. As a stream's first message
         * the Cancel names the held migration by its token, like a resuming hello.
         */
        private void cancel(Cancel c) throws ProtocolException {
            Held h = attached;
            if (h == null) {
                if (held == null) {
                    // a late cancel (its migration ended already): nothing to end, and no outcome to report
                    finished();
                    out.fail(Status.FAILED_PRECONDITION.withDescription("cancel: this receiver holds no migration"
                            + " to cancel"));
                    return;
                }
                if (!held.session.tokenMatches(c.getResumeToken())) {
                    throw ProtocolException.denied("cancel.resume_token: not the token of migration "
                            + held.session.migrationId() + "; refused");
                }
                h = held;
                if (h.owner != null) {
                    h.owner.replaced();
                }
            }
            // the stream ends here like any other (its deadline stopped, its guard told), not only its migration
            finished();
            end(h, MigrationOutcome.failed("cancelled by the sender: " + PeerText.clean(c.getReason(), 256), h.session),
                    true);
            out.complete();
        }

        /** Sends table chunks while the transport takes them; onReady continues. Then the stream's next message. */
        private void sendTable() {
            ResumeState table = attached.session.resumeState();
            while (tableNext >= 0 && out.isReady()) {
                DigestTableChunk c = table.tableChunk(tableNext);
                out.send(new ProtoWire(ReceiverMessage.newBuilder().setTable(c).build()));
                tableNext = c.getLast() ? -1 : tableNext + c.getDigests().size() / table.digestLength();
                deadline.progressed(StreamDeadline.Wait.NEXT);
            }
            if (tableNext < 0) {
                requestNext();
            }
        }

        /**
         * A refused message: the stream ends, and with it the migration it feeds. A stream refused
         * before it fed one is a failed migration of its own, unless another is held: a stranger's
         * stream must not end (or even be reported as) the migration the receiver holds.
         */
        private void refuse(String reason, Status status) {
            if (attached != null) {
                if (attached.owner == this) {
                    end(attached, MigrationOutcome.failed(reason, attached.session), true);
                }
            } else if (held == null && candidate != null) {
                onOutcome.accept(MigrationOutcome.failed(reason, candidate));
            } else {
                refusals.accept("refused stream from " + guard.peer() + ": " + reason);
            }
            out.fail(status);
            finished();
        }

        /** Called with the lock held: a stream that resumed the same migration takes over. */
        void replaced() {
            attached.owner = null;
            out.fail(Status.ABORTED.withDescription("stream: replaced by a stream that resumed migration "
                    + attached.session.migrationId()));
            finished();
        }

        /**
         * On a transport thread, without the service's lock: the transport refuses this stream's
         * input (StreamGuard). The call is closed with the refusal now, before the transport resets
         * the stream; the migration is ended by {@link #lost}, which the reset brings.
         */
        @Override
        public void refusedByTransport(Status status) {
            out.fail(status);
        }

        /** Under the lock: the stream kept the receiver waiting past its deadline (StreamDeadline). */
        private void expired(StreamDeadline.Wait waiting, Duration timeout) {
            if (ended) {
                return;
            }
            String t = Durations.format(timeout);
            switch (waiting) {
                case HELLO -> refuse("stream: no hello within --hello-timeout " + t,
                        Status.DEADLINE_EXCEEDED.withDescription("stream: no hello within --hello-timeout " + t));
                case FIRST_AFTER_HELLO -> refuse("stream: no message within --hello-timeout " + t
                        + " of the accepted hello; the migration ends (nothing was received to hold for a resume)",
                        Status.FAILED_PRECONDITION.withDescription("stream: no message within --hello-timeout " + t
                                + " of the accepted hello"));
                default -> {
                    // a sender that resumes gets the migration back: the same as a link that went dark
                    out.fail(Status.UNAVAILABLE.withDescription("stream: no message for --idle-timeout " + t
                            + "; the receiver closed it (a sender may resume)"));
                    release("no message for --idle-timeout " + t);
                }
            }
        }

        /** The stream broke: hold the migration for a resume, or end it when resuming is off. */
        void lost(String why) {
            synchronized (lock) {
                if (ended) {
                    return;
                }
                out.lost();
                Status refused = guard.refusal();
                if (refused != null) {
                    // the transport refused its input (StreamGuard): a refusal, not a lost link
                    refuse(refused.getDescription(), refused);
                    return;
                }
                release(why);
            }
        }

        /** Under the lock: the stream is gone; its migration is held for a resume, or ends. */
        private void release(String why) {
            if (attached == null || attached.owner != this) {
                finished();
                return;
            }
            attached.owner = null;
            if (config.resumeTimeout().isZero() || !attached.fed) {
                // a migration that received nothing after its hello is not worth holding (docs/hostile-input.md)
                end(attached, MigrationOutcome.failed(why + (attached.fed ? "" : "; nothing was received after the hello,"
                        + " so it is not held for a resume"), attached.session), true);
                finished();
                return;
            }
            // Ordering (docs/design.md): sealed before the migration awaits a resume, under the lock:
            // after this stream's last store, before a resuming stream can unseal
            String sealError = attached.session.resumeState().seal();
            listener.suspended(attached.session.migrationId(), why + (sealError == null ? "" : "; " + sealError),
                    config.resumeTimeout());
            awaitResume(attached);
            finished();
        }

        @Override
        public void onError(Throwable t) {
            lost("sender stream failed: " + Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            synchronized (lock) {
                if (!ended) {
                    if (attached != null && attached.owner == this) {
                        end(attached, MigrationOutcome.failed("sender closed the stream before completion", attached.session),
                                true);
                    }
                    out.fail(Status.INVALID_ARGUMENT.withDescription("stream: closed by the sender before completion"));
                    finished();
                }
            }
        }
    }
}
