package tern.common.page;

/** How memory is cut into pages. */
public record PageGeometry(int pageSize, long pageCount) {
    public static final int MIN_PAGE_SIZE = 512;
    public static final int MAX_PAGE_SIZE = 65536;

    public PageGeometry {
        if (!validPageSize(pageSize)) {
            throw new IllegalArgumentException("page size " + pageSize + " is not a power of two in "
                    + MIN_PAGE_SIZE + ".." + MAX_PAGE_SIZE);
        }
        if (pageCount <= 0) {
            throw new IllegalArgumentException("page count " + pageCount + " must be positive");
        }
        if (pageCount > Integer.MAX_VALUE) {
            // bitmaps and tables are indexed by int words; 2^31 pages of 4 KiB is 8 TiB
            throw new IllegalArgumentException("page count " + pageCount + " exceeds " + Integer.MAX_VALUE);
        }
    }

    public static boolean validPageSize(long pageSize) {
        return pageSize >= MIN_PAGE_SIZE && pageSize <= MAX_PAGE_SIZE && Long.bitCount(pageSize) == 1;
    }

    public static PageGeometry ofBytes(long bytes, int pageSize) {
        if (bytes % pageSize != 0) {
            throw new IllegalArgumentException("memory size " + bytes + " is not a multiple of the page size " + pageSize);
        }
        return new PageGeometry(pageSize, bytes / pageSize);
    }

    public long bytes() {
        return pageCount * pageSize;
    }

    public int pages() {
        return (int) pageCount;
    }
}
