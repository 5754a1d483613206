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

    /** An iteration ended: its mark's successor arrived, or the completion. */
    default void iterationEnded(ReceivedIteration figures) {
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

    /** Both listeners, {@code first} first, for every event: a method added above is added here too. */
    static SessionListener both(SessionListener first, SessionListener second) {
        return new SessionListener() {
            @Override
            public void started(Hello hello) {
                first.started(hello);
                second.started(hello);
            }

            @Override
            public void iteration(int iteration, Phase phase) {
                first.iteration(iteration, phase);
                second.iteration(iteration, phase);
            }

            @Override
            public void iterationEnded(ReceivedIteration figures) {
                first.iterationEnded(figures);
                second.iterationEnded(figures);
            }

            @Override
            public void drift(long pages) {
                first.drift(pages);
                second.drift(pages);
            }

            @Override
            public void suspended(String migrationId, String why, Duration timeout) {
                first.suspended(migrationId, why, timeout);
                second.suspended(migrationId, why, timeout);
            }

            @Override
            public void resumed(String migrationId, int resumes) {
                first.resumed(migrationId, resumes);
                second.resumed(migrationId, resumes);
            }

            @Override
            public void verified() throws Exception {
                first.verified();
                second.verified();
            }

            @Override
            public void handedOver(long pid, Long resumedEpochMicros) {
                first.handedOver(pid, resumedEpochMicros);
                second.handedOver(pid, resumedEpochMicros);
            }
        };
    }
}
