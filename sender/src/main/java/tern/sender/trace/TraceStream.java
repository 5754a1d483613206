package tern.sender.trace;

import java.util.Arrays;
import java.util.SplittableRandom;
import tern.sender.workload.StoreStream;

/**
 * Replays a trace's stores in order. With wall-clock pacing a store is due at its time offset
 * divided by {@code speed} (2: twice as fast as recorded); with deterministic pacing the order
 * alone matters. When the trace ends, the writer stops writing.
 */
public final class TraceStream implements StoreStream {
    private final Trace trace;
    private final double speed;
    private int next;

    public TraceStream(Trace trace, double speed) {
        if (!(speed > 0)) {
            throw new IllegalArgumentException("--trace-speed " + speed + " must be positive");
        }
        this.trace = trace;
        this.speed = speed;
    }

    @Override
    public long next(SplittableRandom rnd) {
        if (next == trace.stores()) {
            return END;
        }
        int i = next++;
        return StoreStream.visit(trace.page()[i], 1, !trace.changes().get(i));
    }

    @Override
    public long dueBy(long elapsedNanos) {
        long at = (long) (elapsedNanos / 1000.0 * speed);
        int i = Arrays.binarySearch(trace.micros(), at);
        if (i < 0) {
            return -i - 1;
        }
        while (i < trace.stores() && trace.micros()[i] <= at) {
            i++; // equal offsets: all of them are due
        }
        return i;
    }

    @Override
    public boolean idle() {
        return trace.stores() == 0;
    }

    @Override
    public String describe() {
        return "trace " + trace.file().getFileName() + ", " + trace.stores() + " stores";
    }

    @Override
    public String rate() {
        return speed == 1 ? "recorded pace" : "recorded pace x " + speed;
    }
}
