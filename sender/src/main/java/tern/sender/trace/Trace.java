package tern.sender.trace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.zip.GZIPInputStream;
import tern.common.page.PageGeometry;

/**
 * A page-write trace (docs/workloads.md, "Traces"): a header line {@code tern-trace 1 page-size 4096
 * pages 16384}, then one store per line, {@code MICROS PAGE CHANGES}: microseconds since the
 * trace began (not decreasing), the page index, and 1 when the store changed the page's bytes,
 * 0 when it wrote what the page held. Lines starting with {@code #} and blank lines are ignored;
 * a name ending in {@code .gz} is read through gzip.
 */
public record Trace(Path file, int pageSize, int pages, long[] micros, int[] page, BitSet changes) {
    static final String MAGIC = "tern-trace";
    static final int VERSION = 1;

    public int stores() {
        return micros.length;
    }

    public PageGeometry geometry() {
        return new PageGeometry(pageSize, pages);
    }

    /** Reads a whole trace, or fails naming the file, the line and what was wrong. */
    public static Trace read(Path file) throws IOException {
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("trace " + file + ": no such file");
        }
        try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            return parse(file, r);
        }
    }

    private static Trace parse(Path file, BufferedReader r) throws IOException {
        int lineNo = 0;
        String line;
        int pageSize = -1;
        int pages = -1;
        long[] micros = new long[1024];
        int[] page = new int[1024];
        BitSet changes = new BitSet();
        int n = 0;
        long last = 0;
        while ((line = r.readLine()) != null) {
            lineNo++;
            String s = line.strip();
            if (s.isEmpty() || s.startsWith("#")) {
                continue;
            }
            String[] f = s.split("\\s+");
            if (pageSize < 0) {
                if (f.length != 6 || !f[0].equals(MAGIC) || !f[2].equals("page-size") || !f[4].equals("pages")) {
                    throw bad(file, lineNo, "expected the header 'tern-trace 1 page-size SIZE pages COUNT', got '" + s + "'");
                }
                if (!f[1].equals(Integer.toString(VERSION))) {
                    throw bad(file, lineNo, "trace format version " + f[1] + " is not supported (only " + VERSION + ")");
                }
                pageSize = (int) number(file, lineNo, f[3], "page size");
                pages = (int) number(file, lineNo, f[5], "page count");
                if (!PageGeometry.validPageSize(pageSize)) {
                    throw bad(file, lineNo, "page size " + pageSize + " is not a power of two in 512..65536");
                }
                if (pages < 1) {
                    throw bad(file, lineNo, "page count " + pages + " must be at least 1");
                }
                continue;
            }
            if (f.length != 3) {
                throw bad(file, lineNo, "expected 'MICROS PAGE CHANGES', got '" + s + "'");
            }
            long t = number(file, lineNo, f[0], "time offset");
            long p = number(file, lineNo, f[1], "page");
            if (t < last) {
                throw bad(file, lineNo, "time offset " + t + " is before the previous line's " + last);
            }
            if (p >= pages) {
                throw bad(file, lineNo, "page " + p + " out of range for " + pages + " pages");
            }
            if (!f[2].equals("0") && !f[2].equals("1")) {
                throw bad(file, lineNo, "CHANGES must be 1 (bytes changed) or 0 (same bytes), got '" + f[2] + "'");
            }
            if (n == micros.length) {
                micros = Arrays.copyOf(micros, n * 2);
                page = Arrays.copyOf(page, n * 2);
            }
            micros[n] = t;
            page[n] = (int) p;
            changes.set(n, f[2].equals("1"));
            last = t;
            n++;
        }
        if (pageSize < 0) {
            throw bad(file, lineNo, "empty: no 'tern-trace 1 page-size SIZE pages COUNT' header");
        }
        return new Trace(file, pageSize, pages, Arrays.copyOf(micros, n), Arrays.copyOf(page, n), changes);
    }

    private static long number(Path file, int line, String text, String what) {
        try {
            long v = Long.parseLong(text);
            if (v >= 0) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad(file, line, what + " '" + text + "' is not a non-negative integer");
    }

    private static IllegalArgumentException bad(Path file, int line, String what) {
        return new IllegalArgumentException("trace " + file + " line " + line + ": " + what);
    }
}
