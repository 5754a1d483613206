package tern.sender.source;

import java.nio.ByteBuffer;
import tern.common.page.PageGeometry;

/**
 * What the sender migrates: pages, a dirty log (or none), and a way to pause and resume the
 * writer. The engine calls every method from its one thread.
 */
public interface MemorySource extends AutoCloseable {
    PageGeometry geometry();

    /** For reports: "workload uniform (256 MiB, seed 1)", "file /dev/shm/guest.ram". */
    String describe();

    /** The page as it is now, positioned on it; valid until the next call. The engine copies it before use. */
    ByteBuffer page(int index);

    /** The dirty log, or null for a source without one (the engine then scans digests). */
    DirtyLog dirtyLog();

    /** Called right after page {@code index} was captured: deterministic pacing stores here. */
    default void afterCapture(int index) {
    }

    /** Whether a false dirty page was caused by a silent store, where the source can tell; else null. */
    default FalseDirtyCauses causes() {
        return null;
    }

    /** Stops the writer; returns only once no further store can land. */
    void pause() throws Exception;

    /** Lets the writer run again (also after a failed migration: the workload must go on). */
    void resume() throws Exception;

    /**
     * The writer's state as the system reports it now, for the sender's last line ("pid 4242
     * running", "guest running"); any thread, after the engine is done with the source.
     */
    default String runState() {
        return "in-process workload, ends with the sender";
    }

    /** Ends the writer for good (--after-success kill). */
    void terminate() throws Exception;

    @Override
    void close() throws Exception;
}
