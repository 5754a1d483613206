package tern.receiver.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.digest.DigestKind;
import tern.common.page.PageGeometry;

class TargetImageTest {
    @TempDir
    Path dir;

    /** Images over 2 GiB: pages past the first mapping segments are stored and read where they belong. */
    @Test
    void imagesOverTwoGibWork() throws Exception {
        long pages = (3L << 30) / 4096 + 3; // 3 GiB and 3 pages; sparse, so it costs no disk
        Path path = dir.resolve("big.img");
        try (TargetImage image = TargetImage.createZeroed(path, new PageGeometry(4096, pages), DigestKind.SHA256)) {
            assertEquals(pages * 4096, Files.size(path));
            ByteBuffer page = ByteBuffer.allocateDirect(4096);
            for (int i = 0; i < 4096; i++) {
                page.put(i, (byte) (i * 31 + 7));
            }
            byte[] ack = new byte[32];
            long[] targets = {0, (2L << 30) / 4096 - 1, (2L << 30) / 4096, pages - 1};
            for (long t : targets) {
                image.store((int) t, page, ack, 0);
                byte[] expected = MessageDigest.getInstance("SHA-256").digest(bytes(page));
                assertArrayEquals(expected, ack, "the receiver digests what it stored");
            }
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                for (long t : targets) {
                    ByteBuffer back = ByteBuffer.allocate(4096);
                    ch.read(back, t * 4096);
                    assertArrayEquals(bytes(page), back.array(), "page " + t + " landed at its offset");
                }
            }
            assertEquals(targets.length, image.pagesStored());
        }
    }

    /** The authoritative table costs under 1 % of the image for every digest Tern offers. */
    @Test
    void digestTableFitsOnePercentOfTheImage() throws Exception {
        for (DigestKind kind : DigestKind.values()) {
            try (TargetImage image = TargetImage.createZeroed(dir.resolve(kind.cliName()), new PageGeometry(4096, 1024), kind)) {
                double share = (double) image.table().bytes() / image.geometry().bytes();
                assertTrue(share <= 0.01, kind + ": " + share);
            }
        }
    }

    /**
     * docs/hostile-input.md, CPU amplification: a hello for a 16 GiB sparse image and an immediate
     * completion once kept the receiver hashing holes for 46 s. The work is bounded by what was
     * stored: the stored pages are hashed, and holes far beyond them are neither read nor hashed,
     * yet the root is that of the whole image.
     */
    @Test
    void verifyingASparseImageCostsWhatWasStored() throws Exception {
        long pages = (16L << 30) / 4096;
        Path path = dir.resolve("sparse.img");
        try (TargetImage image = TargetImage.createZeroed(path, new PageGeometry(4096, pages), DigestKind.SHA256)) {
            ByteBuffer page = ByteBuffer.allocateDirect(4096);
            for (int i = 0; i < 4096; i++) {
                page.put(i, (byte) (i * 13 + 1));
            }
            byte[] ack = new byte[32];
            image.store(5, page, ack, 0);
            image.store(6, page, ack, 0);
            image.store((int) pages - 1, page, ack, 0);

            TargetImage.Verification v = image.verify(16);
            assertEquals(3, v.pagesHashed(), "only the stored pages are hashed");
            assertEquals(pages - 2 * 256, v.holesUnread(), "only the two chunks holding stored pages are read");
            assertEquals(0, v.driftTotal());
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] zero = sha.digest(new byte[4096]);
            byte[] stored = sha.digest(bytes(page));
            MessageDigest root = MessageDigest.getInstance("SHA-256");
            for (long p = 0; p < pages; p++) {
                root.update(p == 5 || p == 6 || p == pages - 1 ? stored : zero);
            }
            assertArrayEquals(root.digest(), v.root(), "the root of the whole image, holes included");
        }
    }

    /**
     * A page never stored but written behind the receiver's back is found all the same when the
     * migration stored enough for its holes to be read (one page in 65 here: exactly the bound).
     */
    @Test
    void aPageNeverStoredButChangedBehindTheReceiverIsFound() throws Exception {
        Path path = dir.resolve("hole.img");
        try (TargetImage image = TargetImage.createZeroed(path, new PageGeometry(4096, 65), DigestKind.SHA256)) {
            image.store(0, ByteBuffer.allocateDirect(4096), new byte[32], 0);
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {7}), 40L * 4096 + 9);
            }
            TargetImage.Verification v = image.verify(16);
            assertEquals(1, v.driftTotal());
            assertEquals(40, v.drifted()[0]);
            assertEquals(2, v.pagesHashed(), "the stored page and the changed one");
            assertEquals(0, v.holesUnread());
        }
    }

    /** A page changed behind the receiver's back is found at completion, whether stored or read again. */
    @Test
    void aStoredPageChangedBehindTheReceiverIsFound() throws Exception {
        Path path = dir.resolve("drift.img");
        try (TargetImage image = TargetImage.createZeroed(path, new PageGeometry(4096, 64), DigestKind.SHA256)) {
            ByteBuffer page = ByteBuffer.allocateDirect(4096);
            image.store(9, page, new byte[32], 0);
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(new byte[] {1}), 9L * 4096 + 100);
            }
            TargetImage.Verification v = image.verify(16);
            assertEquals(1, v.driftTotal());
            assertEquals(9, v.drifted()[0]);
        }
    }

    /**
     * docs/hostile-input.md, a refused hello destroyed the previous image: a geometry whose table
     * this receiver cannot hold fails before the file is touched.
     */
    @Test
    void anImageThatCannotBeHeldLeavesThePreviousOneAsItWas() throws Exception {
        Path path = dir.resolve("previous.img");
        byte[] previous = new byte[8192];
        previous[100] = 42;
        Files.write(path, previous);
        assertThrows(IllegalArgumentException.class,
                () -> TargetImage.createZeroed(path, new PageGeometry(512, 1L << 26), DigestKind.SHA256));
        assertArrayEquals(previous, Files.readAllBytes(path));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.capacity()];
        b.get(0, a);
        return a;
    }
}
