package tern.sender.engine;

import tern.common.stats.IterationStats;

/** What the loop reports as it goes: progress for a terminal, hooks for tests. Called on the engine thread. */
public interface EngineListener {
    /** Before iteration {@code iteration}'s pass begins (after its fetch). */
    default void beforePass(int iteration, String phase) {
    }

    /** After a batch was handed to the transport. */
    default void batchSent(int iteration, long pagesSent, long pagesSkipped, long pagesDirty, long wireBytes) {
    }

    default void iterationDone(IterationStats stats) {
    }

    /** The stop-and-copy is done: the source's root goes to the receiver, which verifies the image. */
    default void completing() {
    }

    default void message(String line) {
    }

    /** The migration resumed after a lost connection ({@code reconnects} so far); {@code lacking} pages go again. */
    default void resumed(int reconnects, long lacking) {
    }

    EngineListener NONE = new EngineListener() {
    };
}
