package tern.receiver.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.capacity()];
        b.get(0, a);
        return a;
    }
}
