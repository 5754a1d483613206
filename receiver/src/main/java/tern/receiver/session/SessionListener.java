package tern.receiver.session;

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

    SessionListener NONE = new SessionListener() {
    };
}
