package tern.lab.bench;

import java.util.Locale;

/** Progress lines on stdout, each stamped with the seconds since the benchmark started. */
final class Progress {
    private final long t0 = System.nanoTime();

    void line(String line) {
        System.out.println(String.format(Locale.ROOT, "[%6.1fs] ", (System.nanoTime() - t0) / 1e9) + line);
        System.out.flush();
    }
}
