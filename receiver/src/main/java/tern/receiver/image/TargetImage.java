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
 * <p>The image remembers which pages it stored since it was created zeroed: the others are holes
 * of the sparse file, zero by construction, and {@link #verify} takes their digest as the zero
 * page's without reading them, so verifying costs what was stored, not what a hello asked for.
 * Single-threaded: one migration's stream owns it.
 */
public final class TargetImage implements AutoCloseable {
    /** Pages read per system call when verifying. */
    private static final int VERIFY_CHUNK_PAGES = 256;

    private final Path path;
    private final PageGeometry geometry;
    private final FileChannel channel;
    private final int pageSize;
    private final DigestTable table;
    private final PageDigest digest;
    private final byte[] zeroDigest;
    private final ByteBuffer zeroPage;
    /** Pages written since the image was created zeroed; every page of an image found on disk. */
    private final PageBitmap stored;
    private long pagesStored;
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
        // what a restarted receiver finds was written by someone: every page is read at completion
        PageBitmap stored = new PageBitmap(geometry.pages());
        stored.setAll();
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new TargetImage(path, geometry, ch, kind, table, stored);
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
        stored.set(page);
        pagesStored++;
    }

    /**
     * Recomputes the digest of every page stored since the image was created from the image bytes;
     * a page never stored is a hole of the zeroed file and keeps the zero page's digest unread (so a
     * hello for a huge image followed by its completion costs a pass over the table, not over the
     * image). Stored pages whose bytes no longer match the table were changed behind the
     * receiver's back; they are reported in {@code drifted} and the table is corrected to what the
     * image holds.
     */
    public Verification verify(int maxDrift) {
        int n = table.pages();
        int len = table.digestLength();
        byte[] d = new byte[len];
        RootDigest root = new RootDigest();
        int[] drifted = new int[Math.min(maxDrift, n)];
        int driftCount = 0;
        long driftTotal = 0;
        ByteBuffer chunk = null;
        long read = 0;
        int p = 0;
        while (p < n) {
            int next = stored.nextSetBit(p);
            int holesEnd = next < 0 ? n : next;
            if (holesEnd > p) {
                // the table holds the zero page's digest for every page never stored
                root.add(table.raw(), p * len, (holesEnd - p) * len);
                p = holesEnd;
                continue;
            }
            int run = 1;
            while (run < VERIFY_CHUNK_PAGES && p + run < n && stored.get(p + run)) {
                run++;
            }
            if (chunk == null) {
                chunk = ByteBuffer.allocateDirect(VERIFY_CHUNK_PAGES * pageSize);
            }
            chunk.clear().limit(run * pageSize);
            readFully(chunk, (long) p * pageSize);
            read += run;
            for (int i = 0; i < run; i++, p++) {
                chunk.limit((i + 1) * pageSize).position(i * pageSize);
                digest.digest(chunk, d, 0);
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
        return new Verification(root.finish(), Arrays.copyOf(drifted, driftCount), driftTotal, read);
    }

    /**
     * The result of {@link #verify}: the image's root, the pages found changed behind our back, and
     * how many pages were read to find out (those stored; none for a hole).
     */
    public record Verification(byte[] root, int[] drifted, long driftTotal, long pagesRead) {
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
