package tern.sender.workload;

/**
 * A part of a model's memory and how the program writes it. Each visit writes {@code lines}
 * cache lines of one page. A share {@code settled} of the region's pages hold data that has
 * settled (converged cells of a grid, arcs whose cost and flow no longer change): every visit
 * there stores the bytes the page holds. On the other pages a visit stores the bytes they hold
 * with probability {@code sameValue} (a value recomputed to what it was, a cache item set to
 * what it held), otherwise new ones. Whether a dirty page turns out false dirty is not set here:
 * it depends on how many visits the page gets between two captures, on the other regions'
 * pages dirtied alongside, and on the order of writes and reads.
 *
 * @param role      what the program keeps there, for the README and --help
 * @param from      start, as a fraction of the memory
 * @param size      length, as a fraction of the memory
 * @param weight    share of the phase's visits that land here
 * @param access    random pages, or consecutive pages in passes (an array sweep)
 * @param lines     cache lines (64 B) written per visit, 1..64
 * @param sameValue probability that a visit to a page that has not settled stores the bytes it holds
 * @param settled   share of the region's pages whose every visit stores the bytes they hold
 */
public record Region(String role, double from, double size, double weight, Access access, int lines, double sameValue,
                     double settled) {

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
        if (sameValue < 0 || sameValue > 1 || settled < 0 || settled > 1 || weight <= 0) {
            throw new IllegalArgumentException(role + ": sameValue and settled must be in 0..1, weight positive");
        }
    }

    /** Whether page {@code offset} of the region holds settled data: a fixed, evenly spread choice. */
    boolean settledPage(int offset) {
        if (settled == 0) {
            return false;
        }
        // SplittableRandom's mix: spreads settled pages over the region without a table per page
        long z = (offset + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 < settled;
    }
}
