package tern.lab.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/** Source files for measurements: memory every page of which is really sent. */
public final class SourceFiles {
    private static final int CHUNK = 1 << 20;

    private SourceFiles() {
    }

    /**
     * Creates {@code file} with {@code bytes} of seeded pseudo-random non-zero words, 1 MiB at a
     * time: every page is non-zero and differs from the others, so none is skipped or sent as ZERO.
     */
    public static void fillRandom(Path file, long bytes, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        LongBuffer longs = chunk.asLongBuffer();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; done += CHUNK) {
                longs.clear();
                putNonZeroWords(longs, random);
                chunk.clear().limit((int) Math.min(CHUNK, bytes - done));
                while (chunk.hasRemaining()) {
                    ch.write(chunk);
                }
            }
        }
    }

    /** Fills what remains of {@code words} with pseudo-random non-zero longs. */
    static void putNonZeroWords(LongBuffer words, SplittableRandom random) {
        while (words.hasRemaining()) {
            long v = random.nextLong();
            words.put(v == 0 ? 1 : v);
        }
    }
}
