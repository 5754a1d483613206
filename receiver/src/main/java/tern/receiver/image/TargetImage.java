package tern.receiver.image;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import tern.common.digest.DigestKind;
import tern.common.digest.DigestTable;
import tern.common.digest.PageDigest;
import tern.common.digest.RootDigest;
import tern.common.page.PageBitmap;
import tern.common.page.PageGeometry;
import tern.common.page.ZeroPage;

/**
 * The receiver's file-backed image and its authoritative digest table (invariant 3): every digest
 * in the table is computed here, from the exact bytes written to the image, and recorded only
 * once the write succeeded.
 *
 * <p>Pages are written with positional writes rather than through a mapping: the first store to
 * a page of a new, sparse image through a mapping faults the page in, and the kernel zero-fills
 * it first (a fifth of all CPU time in a 1 GiB loopback run); a whole-page write needs no fill,
 * and a run of consecutive pages goes in one system call.
 *
 * <p>The image remembers which pages it stored since it was created zeroed: {@link #verify} hashes
 * those and compares the others with zero bytes, reading holes only in proportion to what was
 * stored, so verifying costs what a sender sent, not what its hello asked for.
 * Single-threaded: one migration's stream owns it.
 */
public final class TargetImage implements AutoCloseable {
    /** Pages read per system call when verifying. */
    private static final int VERIFY_CHUNK_PAGES = 256;
    /**
     * Holes read per page stored, at most, when verifying: reading a hole costs the kernel's
     * zero-fill (here about 1 s per GiB), so a migration that stored little cannot make the
     * receiver read its whole image (docs/hostile-input.md, CPU amplification).
     */
    static final long HOLE_READS_PER_STORED_PAGE = 64;

    private final Path path;
    private final PageGeometry geometry;
    private final FileChannel channel;
    private final int pageSize;
    private final DigestTable table;
    private final PageDigest digest;
    private final byte[] zeroDigest;
    private final ByteBuffer zeroPage;
    private final ZeroPage zeros;
    /** Pages written since the image was created zeroed; every page of an image found on disk. */
    private final PageBitmap stored;
    private long pagesStored;
    private long distinctStored;
    private long pagesAlreadyHeld;

    private TargetImage(Path path, PageGeometry geometry, FileChannel channel, DigestKind kind, DigestTable table,
                        PageBitmap stored) {
        this.path = path;
        this.geometry = geometry;
        this.channel = channel;
        this.pageSize = geometry.pageSize();
        this.digest = kind.newDigest();
        this.table = table;
        this.stored = stored;
        this.zeroPage = ByteBuffer.allocateDirect(pageSize);
        this.zeros = new ZeroPage(pageSize);
        this.zeroDigest = new byte[kind.length()];
        digest.digest(zeroPage, zeroDigest, 0);
        table.fill(zeroDigest);
    }

    /** A new image of zero pages at {@code path} (replacing what was there); sparse, so it costs no disk until written. */
    public static TargetImage createZeroed(Path path, PageGeometry geometry, DigestKind kind) throws IOException {
        // Ordering (docs/design.md): the table and bitmap are allocated before the file is touched, so
        // an image this receiver cannot hold leaves the previous one as it was (invariant 4)
        DigestTable table = new DigestTable(geometry.pages(), kind.length());
        PageBitmap stored = new PageBitmap(geometry.pages());
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.setLength(0);
            raf.setLength(geometry.bytes());
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new TargetImage(path, geometry, ch, kind, table, stored);
    }

    /**
     * The image a restarted receiver finds at {@code path}, as it is (nothing is zeroed). The table
     * starts as the digests of zero pages: the caller loads a trusted table or {@link #rebuildTable()}s.
     */
    public static TargetImage openExisting(Path path, PageGeometry geometry, DigestKind kind) throws IOException {
        long size = java.nio.file.Files.size(path);
        if (size != geometry.bytes()) {
            throw new IOException("image " + path + " is " + size + " bytes, the migration's image is " + geometry.bytes());
        }
        DigestTable table = new DigestTable(geometry.pages(), kind.length());
        // what a restarted receiver finds was written by someone: every page is hashed at completion
        PageBitmap stored = new PageBitmap(geometry.pages());
        stored.setAll();
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        TargetImage image = new TargetImage(path, geometry, ch, kind, table, stored);
        image.distinctStored = geometry.pageCount();
        return image;
    }

    /** Takes a sealed table whose image identity matched: the digests of what the image holds. */
    public void loadTable(byte[] digests) {
        if (digests.length != table.raw().length) {
            throw new IllegalArgumentException("table of " + digests.length + " bytes for " + table.raw().length);
        }
        System.arraycopy(digests, 0, table.raw(), 0, digests.length);
    }

    /** Recomputes every digest from the image bytes (a full read: about 0.6 s per GiB with sha256). */
    public void rebuildTable() {
        verify(0);
    }

    /** Forces the stored pages to the device, so a sealed table never describes bytes a crash could lose. */
    public void force() throws IOException {
        channel.force(false);
    }

    public PageGeometry geometry() {
        return geometry;
    }

    public Path path() {
        return path;
    }

    public DigestTable table() {
        return table;
    }

    public long pagesStored() {
        return pagesStored;
    }

    /** Stores that left a page as it was: what a sender that never sends a false dirty page avoids. */
    public long pagesAlreadyHeld() {
        return pagesAlreadyHeld;
    }

    /** Copies the page as held now into {@code scratch} (position 0..pageSize), the base for a delta. */
    public void read(int page, ByteBuffer scratch) {
        scratch.clear();
        readFully(scratch, (long) page * pageSize);
        scratch.flip();
    }

    /** Stores one whole page from {@code src} (position..position+pageSize); see {@link #storeRun}. */
    public void store(int page, ByteBuffer src, byte[] ackDigests, int ackOffset) {
        storeRun(page, 1, src, ackDigests, ackOffset);
    }

    /**
     * Stores {@code count} consecutive pages from {@code src} (position.. count pages) in one write,
     * and writes the digest of each page's bytes to {@code ackDigests} from {@code ackOffset}.
     * {@code src}'s position and limit are left as they were.
     */
    public void storeRun(int first, int count, ByteBuffer src, byte[] ackDigests, int ackOffset) {
        int pos = src.position();
        int lim = src.limit();
        int len = digest.length();
        try {
            // Ordering (docs/design.md): digest exactly the bytes about to be written; the table takes
            // the digests only after the write succeeded, so it never describes bytes the image lacks.
            for (int i = 0; i < count; i++) {
                src.limit(pos + (i + 1) * pageSize).position(pos + i * pageSize);
                digest.digest(src, ackDigests, ackOffset + i * len);
            }
            src.limit(pos + count * pageSize).position(pos);
            writeFully(src, (long) first * pageSize);
        } finally {
            src.limit(lim).position(pos);
        }
        for (int i = 0; i < count; i++) {
            stored(first + i, ackDigests, ackOffset + i * len);
        }
    }

    public void storeZero(int page, byte[] ackDigests, int ackOffset) {
        zeroPage.clear();
        writeFully(zeroPage, (long) page * pageSize);
        // after the write, as in storeRun
        System.arraycopy(zeroDigest, 0, ackDigests, ackOffset, zeroDigest.length);
        stored(page, zeroDigest, 0);
    }

    private void stored(int page, byte[] digest, int offset) {
        if (table.matches(page, digest, offset)) {
            pagesAlreadyHeld++;
        }
        table.set(page, digest, offset);
        if (!stored.get(page)) {
            stored.set(page);
            distinctStored++;
        }
        pagesStored++;
    }

    /**
     * Recomputes every page's digest from the image bytes, with the work bounded by what was
     * stored: a hello for a huge sparse image and an immediate completion must not cost a read of
     * the whole image. Stored pages are hashed. A page never stored since the image was created
     * zeroed is read and compared with zero bytes (no hash) when the holes are at most
     * {@link #HOLE_READS_PER_STORED_PAGE} times the pages stored; otherwise the holes are not read
     * and keep the zero page's digest (those in a chunk read for its stored pages are still
     * compared). So a page some other writer changed is found wherever the receiver reads, which is
     * everywhere for a migration that stored at least 1/65 of its image. Pages whose bytes no longer
     * match the table were changed behind the receiver's back; they are reported in {@code drifted}
     * and the table is corrected to what the image holds.
     */
    public Verification verify(int maxDrift) {
        int n = table.pages();
        int len = table.digestLength();
        byte[] d = new byte[len];
        RootDigest root = new RootDigest();
        int[] drifted = new int[Math.min(maxDrift, n)];
        int driftCount = 0;
        long driftTotal = 0;
        long hashed = 0;
        long unread = 0;
        boolean readHoles = n - distinctStored <= HOLE_READS_PER_STORED_PAGE * distinctStored;
        ByteBuffer chunk = ByteBuffer.allocateDirect(VERIFY_CHUNK_PAGES * pageSize);
        for (int first = 0; first < n; first += VERIFY_CHUNK_PAGES) {
            int pages = Math.min(VERIFY_CHUNK_PAGES, n - first);
            int next = stored.nextSetBit(first);
            if (!readHoles && (next < 0 || next >= first + pages)) {
                // only holes here: the table holds the zero page's digest for each of them
                root.add(table.raw(), first * len, pages * len);
                unread += pages;
                continue;
            }
            chunk.clear().limit(pages * pageSize);
            readFully(chunk, (long) first * pageSize);
            for (int i = 0; i < pages; i++) {
                int p = first + i;
                chunk.limit((i + 1) * pageSize).position(i * pageSize);
                if (!stored.get(p) && zeros.isZero(chunk)) {
                    // still the zero page it was created as: the table holds the zero page's digest
                    root.add(zeroDigest, 0, len);
                    continue;
                }
                digest.digest(chunk, d, 0);
                hashed++;
                if (!table.matches(p, d, 0)) {
                    table.set(p, d, 0);
                    if (driftCount < drifted.length) {
                        drifted[driftCount++] = p;
                    }
                    driftTotal++;
                }
                root.add(d, 0, len);
            }
        }
        return new Verification(root.finish(), Arrays.copyOf(drifted, driftCount), driftTotal, hashed, unread);
    }

    /**
     * The result of {@link #verify}: the image's root, the pages found changed behind our back, how
     * many pages were hashed to find out (those stored, and any other that was not zero), and how
     * many holes were taken as zero pages unread.
     */
    public record Verification(byte[] root, int[] drifted, long driftTotal, long pagesHashed, long holesUnread) {
    }

    private void writeFully(ByteBuffer src, long at) {
        try {
            long pos = at;
            while (src.hasRemaining()) {
                pos += channel.write(src, pos);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("image " + path + ": write at byte " + at + " failed: " + e.getMessage(), e);
        }
    }

    private void readFully(ByteBuffer dst, long at) {
        try {
            long pos = at;
            while (dst.hasRemaining()) {
                int n = channel.read(dst, pos);
                if (n < 0) {
                    throw new IOException("image is shorter than " + geometry.bytes() + " bytes");
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("image " + path + ": read at byte " + at + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
