package tern.receiver.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import tern.common.digest.DigestKind;
import tern.common.digest.DigestTable;
import tern.common.digest.PageDigest;
import tern.common.digest.RootDigest;
import tern.common.page.MappedPages;
import tern.common.page.PageSegments;
import tern.common.page.PageGeometry;

/**
 * The receiver's file-backed image and its authoritative digest table (invariant 3): every digest
 * in the table is computed here, from the bytes this image holds after a store.
 * Single-threaded: one migration's stream owns it.
 */
public final class TargetImage implements AutoCloseable {
    private final MappedPages pages;
    private final PageSegments.View view;
    private final DigestTable table;
    private final PageDigest digest;
    private final byte[] zeroDigest;
    private long pagesStored;
    private long pagesAlreadyHeld;

    private TargetImage(MappedPages pages, DigestKind kind) {
        this.pages = pages;
        this.view = pages.view();
        this.digest = kind.newDigest();
        this.table = new DigestTable(pages.geometry().pages(), kind.length());
        this.zeroDigest = new byte[kind.length()];
        digest.digest(ByteBuffer.allocate(pages.geometry().pageSize()), zeroDigest, 0);
        table.fill(zeroDigest);
    }

    /** A new image of zero pages at {@code path} (replacing what was there). */
    public static TargetImage createZeroed(Path path, PageGeometry geometry, DigestKind kind) throws IOException {
        return new TargetImage(MappedPages.createZeroed(path, geometry), kind);
    }

    public PageGeometry geometry() {
        return pages.geometry();
    }

    public Path path() {
        return pages.path();
    }

    public DigestTable table() {
        return table;
    }

    public long pagesStored() {
        return pagesStored;
    }

    /** Copies the page as held now into {@code scratch} (position 0..pageSize), the base for a delta. */
    public void read(int page, ByteBuffer scratch) {
        scratch.clear();
        view.copyOut(page, scratch);
        scratch.flip();
    }

    /**
     * Stores a whole page from {@code src} and records the digest of what the image now holds,
     * writing it to {@code ackDigests} at {@code ackOffset} as well.
     */
    public void store(int page, ByteBuffer src, byte[] ackDigests, int ackOffset) {
        view.store(page, src);
        // Digest the stored bytes, not the message: the table must describe the image (invariant 3).
        digest.digest(view.page(page), ackDigests, ackOffset);
        stored(page, ackDigests, ackOffset);
    }

    public void storeZero(int page, ByteBuffer zeroPage, byte[] ackDigests, int ackOffset) {
        view.store(page, zeroPage);
        System.arraycopy(zeroDigest, 0, ackDigests, ackOffset, zeroDigest.length);
        stored(page, zeroDigest, 0);
    }

    private void stored(int page, byte[] digest, int offset) {
        if (table.matches(page, digest, offset)) {
            pagesAlreadyHeld++;
        }
        table.set(page, digest, offset);
        pagesStored++;
    }

    /** Stores that left a page as it was: what a sender that never sends a false dirty page avoids. */
    public long pagesAlreadyHeld() {
        return pagesAlreadyHeld;
    }

    /**
     * Recomputes every page's digest from the image bytes. Pages whose bytes no longer match the
     * table were changed behind the receiver's back; they are reported in {@code drifted} and the
     * table is corrected to what the image holds.
     */
    public Verification verify(int maxDrift) {
        int n = table.pages();
        int len = table.digestLength();
        byte[] d = new byte[len];
        RootDigest root = new RootDigest();
        int[] drifted = new int[Math.min(maxDrift, n)];
        int driftCount = 0;
        long driftTotal = 0;
        for (int p = 0; p < n; p++) {
            digest.digest(view.page(p), d, 0);
            if (!table.matches(p, d, 0)) {
                table.set(p, d, 0);
                if (driftCount < drifted.length) {
                    drifted[driftCount++] = p;
                }
                driftTotal++;
            }
            root.add(d, 0, len);
        }
        return new Verification(root.finish(), java.util.Arrays.copyOf(drifted, driftCount), driftTotal);
    }

    /** The result of {@link #verify}: the image's root and the pages found changed behind our back. */
    public record Verification(byte[] root, int[] drifted, long driftTotal) {
    }

    @Override
    public void close() throws IOException {
        pages.close();
    }
}
