package tern.receiver.session;

/**
 * One iteration as the receiver saw it, from its mark to the next iteration's mark or the
 * completion: the pages it stored (those whose digest equalled what the page held among them) and
 * the batches, each counted where the session handled them. A resumed stream continues the
 * iteration its sender announces again.
 */
public record ReceivedIteration(String migrationId, int iteration, String phase, long pagesStored,
                                long pagesAlreadyHeld, long batches, long durationMs) {
}
