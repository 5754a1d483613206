package tern.sender.engine;

import tern.sender.source.MemorySource;

/**
 * The source's pause and what becomes of it: after a failure the workload runs on; after
 * success, as --after-success says. So a migration never leaves a workload frozen, and never
 * leaves two copies running (stay-paused is the default). {@link MemorySource}'s pause, resume and
 * terminate declare Exception, and so do {@link #pause} and {@link #succeeded}.
 */
final class SourceControl {
    private final MemorySource source;
    private final EngineConfig.AfterSuccess afterSuccess;
    private final EngineListener listener;
    private boolean paused;

    SourceControl(MemorySource source, EngineConfig.AfterSuccess afterSuccess, EngineListener listener) {
        this.source = source;
        this.afterSuccess = afterSuccess;
        this.listener = listener;
    }

    /** Stops the writer for stop-and-copy. */
    void pause() throws Exception {
        // Ordering rule (docs/design.md): marked before pause(), since one that fails half-way
        // (SIGSTOP sent) must still be undone.
        paused = true;
        source.pause();
    }

    /** The receiver verified the image. */
    void succeeded() throws Exception {
        switch (afterSuccess) {
            case CONTINUE -> source.resume();
            case KILL -> source.terminate();
            default -> {
                // stay paused: two live copies of a workload is what a migration must never cause
            }
        }
    }

    /** The migration failed: a paused source runs on. */
    void failed() {
        if (!paused) {
            return;
        }
        try {
            source.resume();
        } catch (Exception e) {
            listener.message("could not resume the source after the failure: " + e.getMessage());
        }
    }
}
