package tern.common.qemu.stream;

import java.nio.ByteBuffer;
import tern.common.digest.DigestKind;
import tern.common.digest.DigestTable;
import tern.common.digest.PageDigest;
import tern.common.digest.RootDigest;
import tern.common.page.PageBitmap;

/**
 * The digest of the latest version of every guest page that went through a relay, in stream
 * order: on the sender, what was forwarded (the skip rule compares with it); on the receiver, what
 * it wrote into the destination, computed from those bytes (the authoritative table). A ZERO
 * record makes the zero page the latest version. A page none went through is unknown, and counts
 * as zero bytes in the root, on both sides alike. Per page nothing is allocated; one thread.
 *
 * <p>The root is kept up to date piece by piece, because both ends compute it with the guest
 * paused (invariant 1 of the stream mode): it is SHA-256 over the SHA-256 of each run of
 * {@link #SEGMENT_PAGES} page digests, in page order, and a run is hashed again only when one of
 * its pages changed since. {@link #root()} during the live phase keeps the runs current, so the
 * one at the pause hashes only what the last pages touched (the whole table of a 64 GiB guest is
 * 512 MiB of digests: hashed at once it would be half a second of downtime).
 */
public final class StreamDigests {
    /** Page digests per run of the root: 8 KiB of SHA-256 digests. */
    public static final int SEGMENT_PAGES = 256;

    private final PageDigest digest;
    private final byte[] current;
    private final byte[] zeroDigest;
    private final DigestTable table;
    private final PageBitmap known;
    private final byte[] segmentRoots;
    private final PageBitmap staleSegments;
    private final RootDigest segment = new RootDigest();

    public StreamDigests(DigestKind kind, RamLayout layout) {
        this.digest = requireCryptographic(kind).newDigest();
        this.current = new byte[kind.length()];
        this.zeroDigest = new byte[kind.length()];
        digest.digest(ByteBuffer.allocate(QemuStreamFormat.PAGE_SIZE), zeroDigest, 0);
        this.table = new DigestTable(layout.pageCount(), kind.length());
        this.known = new PageBitmap(layout.pageCount());
        int segments = (layout.pageCount() + SEGMENT_PAGES - 1) / SEGMENT_PAGES;
        this.segmentRoots = new byte[segments * 32];
        this.staleSegments = new PageBitmap(segments);
        staleSegments.setAll();
    }

    /**
     * {@code kind}, checked to be cryptographic: a page a guest crafted to collide with the latest
     * version would be taken as held and its write lost.
     */
    public static DigestKind requireCryptographic(DigestKind kind) {
        if (!kind.cryptographic()) {
            throw new IllegalArgumentException(kind.cliName() + " is not a cryptographic digest: a crafted page could"
                    + " collide with the latest version forwarded and be dropped");
        }
        return kind;
    }

    /**
     * Digests {@code bytes} (position unchanged) and, unless that is already the latest version
     * of {@code page}, records it as the latest; true when it was not.
     */
    public boolean update(int page, ByteBuffer bytes) {
        digest.digest(bytes, current, 0);
        if (known.get(page) && table.matches(page, current, 0)) {
            return false;
        }
        table.set(page, current, 0);
        known.set(page);
        staleSegments.set(page / SEGMENT_PAGES);
        return true;
    }

    /** A ZERO record: the zero page is the latest version of {@code page}. */
    public void zero(int page) {
        table.set(page, zeroDigest, 0);
        known.set(page);
        staleSegments.set(page / SEGMENT_PAGES);
    }

    /**
     * The destination acknowledged other bytes than {@code digest[offset..]} for {@code page}:
     * unless a later version went on since (its own acknowledgement settles the page), the page is
     * unknown again, so its next PAGE record is forwarded (invariant 3). True when it was made unknown.
     */
    public boolean distrust(int page, byte[] digest, int offset) {
        if (known.get(page) && table.matches(page, digest, offset)) {
            known.clear(page);
            return true;
        }
        return false;
    }

    /** The latest digest of {@code page} into {@code out[offset..]} (zero bytes if unknown). */
    public void copyTo(int page, byte[] out, int offset) {
        table.copyTo(page, out, offset);
    }

    public int digestLength() {
        return current.length;
    }

    /**
     * SHA-256 over the SHA-256 of each run of {@link #SEGMENT_PAGES} page digests, in page order
     * (the stream mode's invariant 1); the runs that changed since they were last hashed are hashed again.
     */
    public byte[] root() {
        refresh();
        RootDigest r = new RootDigest();
        r.add(segmentRoots, 0, segmentRoots.length);
        return r.finish();
    }

    /** Hashes again the runs that changed since they were last hashed: cheap work ahead of the pause. */
    public void refresh() {
        byte[] raw = table.raw();
        int len = current.length;
        for (int seg = staleSegments.nextSetBit(0); seg >= 0; seg = staleSegments.nextSetBit(seg + 1)) {
            int from = seg * SEGMENT_PAGES * len;
            segment.add(raw, from, Math.min(raw.length, from + SEGMENT_PAGES * len) - from);
            segment.finishInto(segmentRoots, seg * 32);
            staleSegments.clear(seg);
        }
    }
}
