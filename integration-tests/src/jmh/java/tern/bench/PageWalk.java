package tern.bench;

import static tern.bench.Pages.PAGE;
import static tern.bench.Pages.PAGES;

import java.nio.ByteBuffer;

/**
 * The cold benchmarks' walk over a 1 GiB region: its pages in order, one per invocation, wrapping
 * around, so each page comes from memory rather than cache.
 */
final class PageWalk {
    private int index;

    /** The next page's index. */
    int nextIndex() {
        int p = index;
        index = (p + 1) & (PAGES - 1);
        return p;
    }

    /** The next page's offset. */
    int nextOffset() {
        return nextIndex() * PAGE;
    }

    /** {@code view} (a reused duplicate of the region) positioned on the page at {@code offset}. */
    static ByteBuffer on(ByteBuffer view, int offset) {
        view.limit(offset + PAGE).position(offset);
        return view;
    }
}
