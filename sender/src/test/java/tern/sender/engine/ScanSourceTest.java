package tern.sender.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tern.common.stats.IterationStats;
import tern.sender.source.FileSource;
import tern.sender.transport.MigrationChannel;

/** A source without a dirty log: each fetch is a digest scan, and only digest mode applies. */
class ScanSourceTest {
    @TempDir
    Path dir;

    private Path sourceFile(int pages) throws IOException {
        byte[] b = new byte[pages * 4096];
        new Random(3).nextBytes(b);
        java.util.Arrays.fill(b, 0, 4096 * 4, (byte) 0); // a few zero pages
        Path p = dir.resolve("source.bin");
        Files.write(p, b);
        return p;
    }

    private static void overwrite(Path file, int page, byte value) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(64);
            while (b.hasRemaining()) {
                b.put(value);
            }
            ch.write(b.flip(), (long) page * 4096 + 128);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void pagesChangedBetweenScansAreFoundAndSent() throws Exception {
        Path src = sourceFile(256);
        try (Loopback rx = new Loopback(Files.createDirectories(dir.resolve("rx")));
             FileSource fs = new FileSource(src, 4096, null)) {
            EngineListener writer = new EngineListener() {
                @Override
                public void iterationDone(IterationStats s) {
                    if (s.iteration() == 1) {
                        for (int p : new int[] {1, 17, 100, 255}) {
                            overwrite(src, p, (byte) 0x77);
                        }
                        overwrite(src, 200, (byte) 0); // a write that may or may not change bytes: scanned either way
                    }
                }
            };
            Loopback.Run r = rx.migrate(fs, Configs.fixed(Mode.DIGEST, false, 3), writer);
            assertNull(r.failure(), () -> r.failure().getMessage());
            assertTrue(r.outcome().verified(), r.outcome().reason());
            IterationStats second = r.result().iterations().get(1);
            assertTrue(second.pagesDirty() >= 4 && second.pagesDirty() <= 5, "the scan found the written pages: " + second);
            assertEquals(second.pagesDirty(), second.pagesSent());
            assertEquals(0L, r.outcome().pagesAlreadyHeld(), "nothing the receiver held was sent");
            assertArrayEquals(Files.readAllBytes(src), rx.imageBytes());
        }
    }

    @Test
    void onlyDigestModeAppliesWithoutADirtyLog() throws Exception {
        Path src = sourceFile(16);
        try (FileSource fs = new FileSource(src, 4096, null);
             MigrationChannel ch = MigrationChannel.connect(java.net.InetSocketAddress.createUnresolved("127.0.0.1", 1), 1 << 20)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new PrecopyLoop(fs, Configs.fixed(Mode.RECONCILE, false, 2), ch, EngineListener.NONE));
            assertTrue(e.getMessage().contains("--mode digest"), e.getMessage());
        }
    }
}
