package tern.common.page;

import java.nio.ByteBuffer;

/**
 * Pages held in buffers of 1 GiB (one buffer or mapping is limited to 2 GiB); a page never
 * straddles two because every supported page size divides 1 GiB.
 */
public final class PageSegments {
    public static final int SEGMENT_SHIFT = 30;

    private final PageGeometry geometry;
    private final ByteBuffer[] segments;
    private final int pagesPerSegmentShift;

    public PageSegments(PageGeometry geometry, ByteBuffer[] segments) {
        this.geometry = geometry;
        this.segments = segments;
        this.pagesPerSegmentShift = SEGMENT_SHIFT - Integer.numberOfTrailingZeros(geometry.pageSize());
    }

    /** Direct (off-heap) zeroed memory for {@code geometry}. */
    public static PageSegments allocateDirect(PageGeometry geometry) {
        long bytes = geometry.bytes();
        ByteBuffer[] b = new ByteBuffer[segmentCount(bytes)];
        for (int i = 0; i < b.length; i++) {
            b[i] = ByteBuffer.allocateDirect((int) Math.min(1L << SEGMENT_SHIFT, bytes - ((long) i << SEGMENT_SHIFT)));
        }
        return new PageSegments(geometry, b);
    }

    static int segmentCount(long bytes) {
        return (int) ((bytes + (1L << SEGMENT_SHIFT) - 1) >>> SEGMENT_SHIFT);
    }

    public PageGeometry geometry() {
        return geometry;
    }

    /** A cursor over the pages. Each thread makes its own; returning a page costs no allocation. */
    public View view() {
        return new View();
    }

    public final class View {
        private final ByteBuffer[] dup = new ByteBuffer[segments.length];

        private View() {
            for (int i = 0; i < segments.length; i++) {
                dup[i] = segments[i].duplicate();
            }
        }

        /** The page as a buffer positioned on it (position..limit = the page). Valid until the next call. */
        public ByteBuffer page(long index) {
            ByteBuffer b = dup[(int) (index >>> pagesPerSegmentShift)];
            int off = (int) ((index & ((1L << pagesPerSegmentShift) - 1)) * geometry.pageSize());
            b.limit(off + geometry.pageSize()).position(off);
            return b;
        }

        /** Stores one whole page from {@code src} (position..position+pageSize), leaving src's position as it was. */
        public void store(long index, ByteBuffer src) {
            ByteBuffer b = page(index);
            b.put(b.position(), src, src.position(), geometry.pageSize());
        }
    }
}
