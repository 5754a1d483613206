package tern.receiver.server;

import tern.common.digest.RootDigest;
import tern.receiver.session.MigrationSession;

/** How one migration ended on the receiver. */
public record MigrationOutcome(boolean verified, String reason, String migrationId, long pagesStored,
                               long pagesAlreadyHeld, long batches, String rootDigest) {

    static MigrationOutcome verified(MigrationSession s) {
        return new MigrationOutcome(true, null, id(s), s.pagesStored(), s.pagesAlreadyHeld(), s.batches(),
                RootDigest.hex(s.verdict().getRootDigest().toByteArray()));
    }

    static MigrationOutcome failed(String reason, MigrationSession s) {
        return new MigrationOutcome(false, reason, id(s), s.pagesStored(), s.pagesAlreadyHeld(), s.batches(), null);
    }

    private static String id(MigrationSession s) {
        return s.migrationId();
    }
}
