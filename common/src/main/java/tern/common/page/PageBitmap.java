package tern.common.page;

import java.util.Arrays;

/** One bit per page, single-threaded (the sender's migration bitmap and scratch sets). */
public final class PageBitmap {
    private final long[] words;
    private final int pages;

    public PageBitmap(int pages) {
        this.pages = pages;
        this.words = new long[(pages + 63) >>> 6];
    }

    public int size() {
        return pages;
    }

    public boolean get(int page) {
        return (words[page >>> 6] & (1L << page)) != 0;
    }

    public void set(int page) {
        words[page >>> 6] |= 1L << page;
    }

    public void clear(int page) {
        words[page >>> 6] &= ~(1L << page);
    }

    public void setAll() {
        Arrays.fill(words, -1L);
        int tail = pages & 63;
        if (tail != 0) {
            words[words.length - 1] = (1L << tail) - 1;
        }
    }

    /** ORs one 64-page word in; the caller keeps bits past {@link #size()} zero. */
    public void orWord(int wordIndex, long bits) {
        words[wordIndex] |= bits;
    }

    /** The first set bit at or after {@code from}, or -1. */
    public int nextSetBit(int from) {
        if (from >= pages) {
            return -1;
        }
        int w = from >>> 6;
        long word = words[w] & (-1L << from);
        while (true) {
            if (word != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(word);
            }
            if (++w == words.length) {
                return -1;
            }
            word = words[w];
        }
    }

    public int cardinality() {
        int n = 0;
        for (long w : words) {
            n += Long.bitCount(w);
        }
        return n;
    }
}
