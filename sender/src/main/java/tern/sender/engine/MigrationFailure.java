package tern.sender.engine;

/** A migration that did not complete; the message says why, for a person to act on. */
public final class MigrationFailure extends Exception {
    private transient MigrationResult partial;

    public MigrationFailure(String message) {
        super(message);
    }

    public MigrationFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** The figures up to the failure (summary with verified=false and the error), when there are any. */
    public MigrationResult partial() {
        return partial;
    }

    public MigrationFailure withPartial(MigrationResult r) {
        this.partial = r;
        return this;
    }
}
