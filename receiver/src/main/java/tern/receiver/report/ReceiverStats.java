package tern.receiver.report;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.LongSupplier;
import tern.common.stats.Json;
import tern.common.stats.StatsWriter;
import tern.proto.Hello;
import tern.receiver.server.MigrationOutcome;
import tern.receiver.session.MigrationSession;
import tern.receiver.session.ReceivedIteration;
import tern.receiver.session.SessionListener;

/**
 * --stats PATH on the receiver: its own JSON lines, each written as it happens, stamped with
 * {@code ts} and the {@code migration_id} of the sender's hello, so both sides' files join on it
 * (docs/figures.md, "The receiver's lines"): accepted, one per iteration (pages stored, bytes
 * received), suspended, resumed, drift, and the verdict. Events come from the session's threads
 * and the outcome from the main thread: every method is synchronized.
 */
public final class ReceiverStats implements SessionListener, AutoCloseable {
    private final StatsWriter out;
    private LongSupplier received = () -> 0;
    private String migrationId;
    private long receivedAtIteration;
    private long receivedAtAccept;

    private ReceiverStats(StatsWriter out) {
        this.out = out;
    }

    /** Creates (or empties) {@code path} now, so an unwritable path is refused before the receiver listens. */
    public static ReceiverStats create(Path path) {
        return new ReceiverStats(StatsWriter.create(path));
    }

    /** Where the bytes received are read: the server's meter, once it runs. */
    public synchronized void countBytes(LongSupplier bytesReceived) {
        received = bytesReceived;
    }

    @Override
    public synchronized void started(Hello h) {
        migrationId = MigrationSession.idOf(h);
        receivedAtAccept = received.getAsLong();
        receivedAtIteration = receivedAtAccept;
        out.write(Json.object().put("type", "accepted").put("pages", h.getPageCount()).put("page_size", h.getPageSize())
                .put("digest", h.getDigest().name().toLowerCase()).put("image_bytes", h.getPageCount() * h.getPageSize()),
                migrationId);
    }

    @Override
    public synchronized void iterationEnded(ReceivedIteration r) {
        long now = received.getAsLong();
        out.write(Json.object().put("type", "iteration").put("iteration", r.iteration()).put("phase", r.phase())
                .put("pages_stored", r.pagesStored()).put("pages_already_held", r.pagesAlreadyHeld())
                .put("batches", r.batches()).put("bytes_received", now - receivedAtIteration)
                .put("duration_ms", r.durationMs()), r.migrationId());
        receivedAtIteration = now;
    }

    @Override
    public synchronized void drift(long pages) {
        out.write(Json.object().put("type", "drift").put("pages", pages), migrationId);
    }

    @Override
    public synchronized void suspended(String id, String why, Duration timeout) {
        out.write(Json.object().put("type", "suspended").put("reason", why).put("resume_timeout_ms", timeout.toMillis()), id);
    }

    @Override
    public synchronized void resumed(String id, int resumes) {
        migrationId = id;
        out.write(Json.object().put("type", "resumed").put("resumes", resumes), id);
    }

    /** How the migration ended: its verdict, or why it failed. */
    public synchronized void outcome(MigrationOutcome o) {
        out.write(Json.object().put("type", "verdict").put("verified", o.verified()).put("error", o.reason())
                .put("pages_stored", o.pagesStored()).put("pages_already_held", o.pagesAlreadyHeld())
                .put("batches", o.batches()).put("bytes_received", received.getAsLong() - receivedAtAccept)
                .put("root_digest", o.rootDigest()), o.migrationId());
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
