package tern.sender.engine;

/**
 * The connection was lost and {@link ResumingLink} has resumed the migration on a new stream: the
 * operation that threw did not happen there. Thrown only by the link's send, take and poll, and
 * caught only by {@link ResumingLink#repeatOnResume}, which starts the interrupted step over.
 * A signal, not an error: no stack trace is taken.
 */
public final class Resumed extends Exception {
    Resumed() {
        super("resumed on a new stream", null, false, false);
    }
}
