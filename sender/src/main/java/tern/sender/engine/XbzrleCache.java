package tern.sender.engine;

import java.nio.ByteBuffer;
import java.util.Arrays;
import tern.common.page.PageGeometry;
import tern.common.page.PageSegments;

/**
 * The pages last sent, for XBZRLE deltas: direct-mapped by page index like QEMU's page cache, so a
 * lookup is an array read and the memory is exactly --xbzrle-cache. An entry holds the version
 * sent; an acknowledgement that shows the receiver holds something else drops it.
 */
final class XbzrleCache {
    private final int slots;
    private final int[] tags;
    private final PageSegments.View data;

    XbzrleCache(long bytes, int pageSize) {
        long n = Math.max(1, bytes / pageSize);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--xbzrle-cache " + bytes + " is too large");
        }
        this.slots = (int) n;
        this.tags = new int[slots];
        Arrays.fill(tags, -1);
        this.data = PageSegments.allocateDirect(new PageGeometry(pageSize, slots)).view();
    }

    /** The cached version of {@code page}, positioned on it, or null. */
    ByteBuffer get(int page) {
        int s = page % slots;
        return tags[s] == page ? data.page(s) : null;
    }

    /** Remembers {@code src} (position..position+pageSize) as the version of {@code page} sent. */
    void put(int page, ByteBuffer src) {
        int s = page % slots;
        tags[s] = page;
        data.store(s, src);
    }

    void invalidate(int page) {
        int s = page % slots;
        if (tags[s] == page) {
            tags[s] = -1;
        }
    }
}
