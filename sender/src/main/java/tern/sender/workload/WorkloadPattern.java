package tern.sender.workload;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/** Where a synthetic workload's stores land and whether they change the bytes. */
public enum WorkloadPattern {
    /** No stores at all: only the bulk copy has work. */
    IDLE,
    /** Random pages, new bytes every time. */
    UNIFORM,
    /** Random pages, the bytes they already hold: every dirty page is false dirty. */
    SILENT,
    /** 90 % of stores on a hot 10 % of pages, new bytes. */
    HOTSET,
    /** Random pages; a share (--silent-fraction) of stores leave the bytes as they were. */
    MIXED;

    public static WorkloadPattern parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown workload '" + name + "'; known: "
                    + Arrays.toString(values()).toLowerCase(Locale.ROOT));
        }
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** This pattern's stores over {@code pages} pages at {@code rate} stores per second of wall clock. */
    public StoreStream stream(int pages, double silentFraction, double rate) {
        WorkloadPattern p = this;
        return new StoreStream() {
            @Override
            public long next(SplittableRandom rnd) {
                return StoreStream.visit(p.nextPage(rnd, pages), 1, p.nextSilent(rnd, silentFraction));
            }

            @Override
            public long dueBy(long elapsedNanos) {
                return (long) (elapsedNanos * 1e-9 * rate);
            }

            @Override
            public boolean idle() {
                return p == IDLE;
            }

            @Override
            public String describe() {
                return p.cliName();
            }

            @Override
            public String rate() {
                return rate + " pages/s" + (p == MIXED ? ", silent " + silentFraction : "");
            }
        };
    }

    int nextPage(SplittableRandom rnd, int pages) {
        if (this == HOTSET) {
            int hot = Math.max(1, pages / 10);
            return rnd.nextInt(10) < 9 ? rnd.nextInt(hot) : rnd.nextInt(pages);
        }
        return rnd.nextInt(pages);
    }

    boolean nextSilent(SplittableRandom rnd, double silentFraction) {
        return switch (this) {
            case SILENT -> true;
            case MIXED -> rnd.nextDouble() < silentFraction;
            default -> false;
        };
    }
}
