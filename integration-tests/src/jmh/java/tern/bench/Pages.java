package tern.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Shared sizes and fillers for the page benchmarks. */
final class Pages {
    static final int PAGE = 4096;
    static final int REGION = 1 << 30; // 1 GiB
    static final int PAGES = REGION / PAGE; // 262144, a power of two
    static final long NON_ZERO = 0x0101010101010101L; // low bit of every byte set: no byte is ever zero

    private Pages() {
    }

    /** Fills every byte of {@code b} (absolute, position untouched) with pseudo-random non-zero data. */
    static void fillNonZero(ByteBuffer b, long seed) {
        long x = seed | 1;
        int n = b.capacity();
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.putLong(i, (x * 0x2545F4914F6CDD1DL) | NON_ZERO);
        }
        for (; i < n; i++) {
            b.put(i, (byte) 0x5b);
        }
    }

    static void fillNonZero(byte[] a, long seed) {
        fillNonZero(ByteBuffer.wrap(a), seed);
    }

    static ByteBuffer directNonZero(int size, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        fillNonZero(b, seed);
        return b;
    }

    /**
     * {@code count} patterns of scattered changed positions within a page, each byte changed with
     * probability {@code pct} %. Used round-robin over pages.
     */
    static int[][] changePatterns(int pct, int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] out = new int[count][];
        int[] tmp = new int[PAGE];
        for (int k = 0; k < count; k++) {
            int m = 0;
            for (int i = 0; i < PAGE; i++) {
                if (r.nextInt(100) < pct) {
                    tmp[m++] = i;
                }
            }
            out[k] = java.util.Arrays.copyOf(tmp, m);
        }
        return out;
    }

    /**
     * Changes the bytes of {@code b} at {@code base + positions}. Bytes have their low bit set, so
     * flipping bit 7 changes them and keeps them non-zero.
     */
    static void applyChanges(ByteBuffer b, int base, int[] positions) {
        for (int p : positions) {
            b.put(base + p, (byte) (b.get(base + p) ^ 0x80));
        }
    }
}
