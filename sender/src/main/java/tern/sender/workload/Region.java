package tern.sender.workload;

/**
 * A part of a model's memory and how the program writes it. Each visit writes {@code lines}
 * cache lines of one page; with probability {@code sameValue} the program stores the values the
 * page already holds (a value recomputed to what it was, a cache item set to what it held),
 * otherwise new ones. Whether a page turns out false dirty is not set here: it depends on how
 * many visits the page gets between two captures, and on the order of writes and reads.
 *
 * @param role      what the program keeps there, for the README and --help
 * @param from      start, as a fraction of the memory
 * @param size      length, as a fraction of the memory
 * @param weight    share of the phase's visits that land here
 * @param access    random pages, or consecutive pages in passes (an array sweep)
 * @param lines     cache lines (64 B) written per visit, 1..64
 * @param sameValue probability that a visit stores the bytes the page already holds
 */
public record Region(String role, double from, double size, double weight, Access access, int lines, double sameValue) {

    public enum Access {
        /** Uniformly random pages of the region. */
        RANDOM,
        /** Consecutive pages from the region's start, wrapping around: passes over an array. */
        SWEEP
    }

    public Region {
        if (from < 0 || size <= 0 || from + size > 1 + 1e-9) {
            throw new IllegalArgumentException(role + ": region " + from + "+" + size + " is not inside the memory");
        }
        if (lines < 1 || lines > 64) {
            throw new IllegalArgumentException(role + ": lines " + lines + " must be in 1..64");
        }
        if (sameValue < 0 || sameValue > 1 || weight <= 0) {
            throw new IllegalArgumentException(role + ": sameValue must be in 0..1 and weight positive");
        }
    }
}
