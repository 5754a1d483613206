package tern.common.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;

/** Bytes the current thread allocates in a loop, to hold the per-page methods to zero. */
public final class Allocations {
    private Allocations() {
    }

    /** Runs {@code body} {@code calls} times after as many warm-up calls; returns the bytes allocated per call. */
    public static double perCall(int calls, Runnable body) {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled(),
                "this JVM does not count allocated bytes per thread");
        for (int i = 0; i < calls; i++) {
            body.run();
        }
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < calls; i++) {
            body.run();
        }
        return (double) (mx.getCurrentThreadAllocatedBytes() - before) / calls;
    }
}
