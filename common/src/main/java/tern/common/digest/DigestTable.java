package tern.common.digest;

import java.util.Arrays;

/**
 * One digest per page in a flat array: 16-32 bytes per page, under 1 % of a 4 KiB-page image.
 * On the receiver it holds the digests of what it stored (the authoritative table); on the
 * sender, the digest of the latest version sent of each page. Single-threaded.
 */
public final class DigestTable {
    /** The largest table: one Java array. */
    public static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    private final byte[] digests;
    private final int length;
    private final int pages;

    public DigestTable(int pages, int digestLength) {
        long bytes = (long) pages * digestLength;
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException(pages + " pages of " + digestLength
                    + "-byte digests exceed one table (" + bytes + " bytes); use a larger page size");
        }
        this.digests = new byte[(int) bytes];
        this.length = digestLength;
        this.pages = pages;
    }

    public int pages() {
        return pages;
    }

    public int digestLength() {
        return length;
    }

    public long bytes() {
        return digests.length;
    }

    public void fill(byte[] digest) {
        for (int p = 0; p < pages; p++) {
            System.arraycopy(digest, 0, digests, p * length, length);
        }
    }

    public void set(int page, byte[] src, int offset) {
        System.arraycopy(src, offset, digests, page * length, length);
    }

    public void copyTo(int page, byte[] dst, int offset) {
        System.arraycopy(digests, page * length, dst, offset, length);
    }

    public boolean matches(int page, byte[] digest, int offset) {
        int at = page * length;
        return Arrays.equals(digests, at, at + length, digest, offset, offset + length);
    }

    /** The raw concatenation, page 0 first (what the root is computed over). */
    public byte[] raw() {
        return digests;
    }
}
