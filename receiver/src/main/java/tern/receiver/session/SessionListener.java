package tern.receiver.session;

import java.time.Duration;
import tern.proto.Hello;
import tern.proto.Phase;

/** What a session reports as it goes: progress lines for the CLI, hooks for tests. */
public interface SessionListener {
    default void started(Hello hello) {
    }

    default void iteration(int iteration, Phase phase) {
    }

    default void drift(long pages) {
    }

    /** The stream feeding the migration was lost; it is held for a resume for at most {@code timeout}. */
    default void suspended(String migrationId, String why, Duration timeout) {
    }

    /** A stream presenting the migration's token took it over ({@code resumes} so far). */
    default void resumed(String migrationId, int resumes) {
    }

    /**
     * The image verified, before the verdict is sent: the sender acts on the verdict at once, so
     * whatever must be ready by then (a destination QEMU listening for the device state) is made
     * ready here. Throwing turns the verdict into a refusal carrying the exception's message.
     */
    default void verified() throws Exception {
    }

    /**
     * A relayed QEMU stream's destination loaded it, the roots agreed, and its guest was continued:
     * QEMU's pid and its own timestamp of the RESUME (null if none came). Before the verdict is sent.
     */
    default void handedOver(long pid, Long resumedEpochMicros) {
    }

    SessionListener NONE = new SessionListener() {
    };
}
