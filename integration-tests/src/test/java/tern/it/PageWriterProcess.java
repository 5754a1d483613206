package tern.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-alone writer for {@link ProcessMigrationIT}: it maps a file of {@code pages} pages of
 * 4096 bytes, fills it with seeded random bytes (about one page in eight left zero), prints
 * {@code ready} on stdout, then writes 64-byte runs at random offsets of random pages at about
 * {@code rate} stores per second, a share of them silent (the bytes the run already holds), until
 * it is killed.
 *
 * <p>Usage: {@code PageWriterProcess PATH PAGES RATE SEED [SILENT_FRACTION [HOT_PAGES]]}. With
 * HOT_PAGES, only pages below it are filled and written: the pages from HOT_PAGES on stay zero, so
 * a sender never sends them (a receiver's new image holds zeros). The writer also exits when its
 * stdin reaches end of file, so that it never outlives a test JVM that died without killing it
 * (the tests keep stdin open).
 */
public final class PageWriterProcess {
    static final int PAGE_SIZE = 4096;
    static final int RUN = 64;

    private PageWriterProcess() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4 || args.length > 6) {
            System.err.println("usage: PageWriterProcess PATH PAGES RATE SEED [SILENT_FRACTION [HOT_PAGES]]");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        int pages = Integer.parseInt(args[1]);
        double rate = Double.parseDouble(args[2]);
        long seed = Long.parseLong(args[3]);
        double silent = args.length >= 5 ? Double.parseDouble(args[4]) : 0.3;
        int hot = args.length == 6 ? Integer.parseInt(args[5]) : pages;
        if (pages <= 0 || rate <= 0 || silent < 0 || silent > 1 || hot <= 0 || hot > pages) {
            System.err.println("PageWriterProcess: bad arguments");
            System.exit(2);
        }
        watchStdin();

        long bytes = (long) pages * PAGE_SIZE;
        MappedByteBuffer map;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            map = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes); // grows the file; the mapping outlives the channel
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] page = new byte[PAGE_SIZE];
        for (int p = 0; p < hot; p++) {
            if (rnd.nextInt(8) == 0) {
                continue; // a fresh mapping of a truncated file is zero
            }
            rnd.nextBytes(page);
            map.put(p * PAGE_SIZE, page);
        }
        PrintStream out = System.out;
        out.println("ready");
        out.flush();

        byte[] run = new byte[RUN];
        long start = System.nanoTime();
        long done = 0;
        while (true) {
            long due = (long) ((System.nanoTime() - start) / 1e9 * rate);
            for (; done < due; done++) {
                int p = rnd.nextInt(hot);
                int off = p * PAGE_SIZE + rnd.nextInt(PAGE_SIZE / RUN) * RUN;
                if (rnd.nextDouble() < silent) {
                    map.get(off, run); // a silent store: the same bytes again
                } else {
                    rnd.nextBytes(run);
                }
                map.put(off, run);
            }
            // pacing only, not synchronisation: spread the stores over the second
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private static void watchStdin() {
        Thread t = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // discard
                }
            } catch (IOException e) {
                // treated as end of file
            }
            Runtime.getRuntime().halt(3);
        }, "stdin-watch");
        t.setDaemon(true);
        t.start();
    }
}
