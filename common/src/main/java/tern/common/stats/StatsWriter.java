package tern.common.stats;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import tern.common.log.Log;
import tern.common.log.Timestamp;

/**
 * A --stats file, on either side: JSON lines, each written and flushed as soon as it is known,
 * and stamped after its {@code type} with {@code ts} (when it was written, {@link Timestamp}) and
 * the {@code migration_id} it belongs to. Thread-safe (the engine or session thread writes, and a
 * shutdown hook may end the file). A failed write is reported once on stderr and by {@link #close}.
 */
public final class StatsWriter implements AutoCloseable {
    private final Path path;
    private final BufferedWriter out;
    private IOException failed;
    private boolean closed;

    private StatsWriter(Path path, BufferedWriter out) {
        this.path = path;
        this.out = out;
    }

    /**
     * Creates (or empties) {@code path} now, so an unwritable path is refused before anything
     * starts: as bad usage (IllegalArgumentException, exit 2), naming the option.
     */
    public static StatsWriter create(Path path) {
        try {
            return new StatsWriter(path, Files.newBufferedWriter(path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("--stats " + path + ": cannot write it (" + e + ")", e);
        }
    }

    /** {@code line} with ts and migration_id after its type; nothing once closed. */
    public synchronized void write(Json line, String migrationId) {
        if (closed || failed != null) {
            return;
        }
        Json stamped = stamped(line, migrationId);
        try {
            out.write(stamped.toString());
            out.newLine();
            out.flush();
        } catch (IOException e) {
            failed = e;
            Log.warning("--stats " + path + ": " + e.getMessage() + "; no more lines are written");
        }
    }

    /** {@code line} with {@code ts} (now) and {@code migration_id} after its type: the head of every line Tern writes as JSON. */
    public static Json stamped(Json line, String migrationId) {
        return Json.object().put("type", line.get("type")).put("ts", Timestamp.now()).put("migration_id", migrationId)
                .putAll(line);
    }

    /** Closes the file; throws what made a write fail, if one did. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        out.close();
        if (failed != null) {
            throw new IOException("--stats " + path + ": " + failed.getMessage(), failed);
        }
    }
}
