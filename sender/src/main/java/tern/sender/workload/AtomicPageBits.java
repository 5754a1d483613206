package tern.sender.workload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import tern.common.page.PageBitmap;
import tern.sender.source.DirtyLog;

/**
 * One bit per page, set by writer threads and read or cleared by the engine without locks: the
 * software dirty log of in-process workloads, and their store tracker.
 */
public final class AtomicPageBits implements DirtyLog {
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] words;

    public AtomicPageBits(int pages) {
        this.words = new long[(pages + 63) >>> 6];
    }

    /**
     * Marks a page. Writers call this after their bytes are in memory: the engine clears a bit
     * before it copies the page (invariant 2), so a store whose mark could be cleared before the
     * copy is always one whose bytes the copy already holds.
     */
    public void mark(int page) {
        WORDS.getAndBitwiseOrRelease(words, page >>> 6, 1L << page);
    }

    public boolean testAndClear(int page) {
        long bit = 1L << page;
        return ((long) WORDS.getAndBitwiseAnd(words, page >>> 6, ~bit) & bit) != 0;
    }

    @Override
    public void fetch(PageBitmap bitmap, boolean clear) {
        for (int w = 0; w < words.length; w++) {
            long bits = clear ? (long) WORDS.getAndSet(words, w, 0L) : (long) WORDS.getVolatile(words, w);
            if (bits != 0) {
                bitmap.orWord(w, bits);
            }
        }
    }

    @Override
    public void clear(int page) {
        // full-fence RMW: the page copy that follows cannot be reordered before it
        WORDS.getAndBitwiseAnd(words, page >>> 6, ~(1L << page));
    }

    @Override
    public void reset() {
        for (int w = 0; w < words.length; w++) {
            WORDS.setVolatile(words, w, 0L);
        }
    }
}
