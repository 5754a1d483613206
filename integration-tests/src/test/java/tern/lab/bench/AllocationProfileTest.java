package tern.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllocationProfileTest {
    static volatile Object sink;

    /** Stands in for a page path: a stack through a method the profile recognises by name. */
    static final class FakeEventLoop {
        void run(int n) {
            for (int i = 0; i < n; i++) {
                sink = new byte[4096];
            }
        }
    }

    @Test
    void countsOnlyWhatThePagePathAllocates(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("alloc.jfr");
        try (Recording r = new Recording()) {
            r.enable("jdk.ObjectAllocationSample").with("throttle", "off").withStackTrace();
            r.start();
            // Two threads, as on a real page path: a sample weighs what its own thread allocated.
            Thread loop = new Thread(() -> new FakeEventLoop().run(20_000)); // 80 MiB through "EventLoop.run": counted
            Thread other = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) { // as much elsewhere: not counted
                    sink = new byte[4096];
                }
            });
            loop.start();
            other.start();
            loop.join();
            other.join();
            r.stop();
            r.dump(file);
        }
        assertTrue(Files.size(file) > 0);
        AllocationProfile p = AllocationProfile.read(file, 3, 2);
        long expected = 20_000L * (4096 + 16);
        // Sampled weights add up to what was allocated, give or take one sampling interval.
        assertTrue(p.bytes() > expected * 0.8 && p.bytes() < expected * 1.2,
                "page-path bytes " + p.bytes() + ", allocated " + expected);
        assertTrue(p.sites().get(0).frames().startsWith("AllocationProfileTest$FakeEventLoop.run"), p.sites().toString());
        assertEquals("PooledByteBuf.slice", AllocationProfile.shortName("io.grpc.netty.shaded.io.netty.buffer.PooledByteBuf.slice"));
    }
}
