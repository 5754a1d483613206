package tern.common.cli;

import java.util.ArrayList;
import java.util.List;
import tern.common.units.ByteSize;

/**
 * The memory a run will allocate, gathered option by option before anything is allocated, and
 * checked against what the JVM and the machine can give ({@link MachineMemory}), so that a size
 * too large is a usage error naming the options and the limit rather than an OutOfMemoryError
 * half-way through. Each item is what one option (or what it implies) will allocate, on the heap
 * or in direct memory.
 */
public final class MemoryBudget {
    /** Heap left for everything not itemised: gRPC, buffers in flight, garbage between collections. */
    static final long HEAP_RESERVE = 64L << 20;
    /** Direct memory left for what is not itemised (scratch buffers, the JDK's own). */
    static final long DIRECT_RESERVE = 16L << 20;

    private final MachineMemory limits;
    private final List<Item> heap = new ArrayList<>();
    private final List<Item> direct = new ArrayList<>();

    private record Item(String what, long bytes) {
    }

    public MemoryBudget(MachineMemory limits) {
        this.limits = limits;
    }

    /** A budget against this JVM's and machine's limits now. */
    public static MemoryBudget here() {
        return new MemoryBudget(MachineMemory.current());
    }

    /** {@code what} (an option and its value, as the user wrote it) will allocate {@code bytes} of heap. */
    public MemoryBudget heap(String what, long bytes) {
        heap.add(new Item(what, bytes));
        return this;
    }

    /** {@code what} will allocate {@code bytes} of direct (off-heap) memory. */
    public MemoryBudget direct(String what, long bytes) {
        direct.add(new Item(what, bytes));
        return this;
    }

    /** Fails, naming the options and the limit, when the items do not fit. */
    public void check() {
        long h = sum(heap);
        long d = sum(direct);
        long heapFree = limits.maxHeap() - limits.usedHeap() - HEAP_RESERVE;
        long directFree = limits.maxDirect() - limits.usedDirect() - DIRECT_RESERVE;
        // the machine first: no JVM flag makes more of it
        long all = h + d;
        if (all > limits.available()) {
            List<Item> every = new ArrayList<>(direct);
            every.addAll(heap);
            throw new IllegalArgumentException(names(every) + " need" + s(every) + " " + ByteSize.format(all)
                    + " of memory, but this machine has " + ByteSize.format(limits.available()) + " available (of "
                    + ByteSize.format(limits.physical()) + " physical)");
        }
        if (d > 0 && d > directFree) {
            throw new IllegalArgumentException(names(direct) + " need" + s(direct) + " " + ByteSize.format(d)
                    + " of direct memory, but this JVM may allocate at most " + ByteSize.format(limits.maxDirect())
                    + (limits.maxDirect() == limits.maxHeap() ? " (by default as much as its heap limit, -Xmx)"
                    : " (-XX:MaxDirectMemorySize)") + fit(directFree)
                    + ", or raise the limit (TERN_JAVA_EXTRA_OPTS=-XX:MaxDirectMemorySize=SIZE)");
        }
        if (h > 0 && h > heapFree) {
            throw new IllegalArgumentException(names(heap) + " need" + s(heap) + " " + ByteSize.format(h)
                    + " of heap, but this JVM's heap holds at most " + ByteSize.format(limits.maxHeap()) + " (-Xmx)"
                    + fit(heapFree) + ", or raise the limit (TERN_JAVA_EXTRA_OPTS=-XmxSIZE)");
        }
    }

    /** What to do: give less (saying how much is left for them, when anything is). */
    private static String fit(long free) {
        return ": give less" + (free > 0 ? " (" + ByteSize.format(free) + " is left for them)" : "");
    }

    private static long sum(List<Item> items) {
        long t = 0;
        for (Item i : items) {
            t += i.bytes;
        }
        return t;
    }

    private static String s(List<Item> items) {
        return items.size() == 1 ? "s" : "";
    }

    /** "--memory 6 GiB", or "--memory 6 GiB and --xbzrle-cache 64 MiB" (the largest first). */
    private static String names(List<Item> items) {
        List<Item> sorted = new ArrayList<>(items);
        sorted.sort((a, b) -> Long.compare(b.bytes, a.bytes));
        List<String> n = new ArrayList<>();
        for (Item i : sorted) {
            n.add(i.what + " (" + ByteSize.format(i.bytes) + ")");
        }
        return n.size() == 1 ? n.get(0) : String.join(", ", n.subList(0, n.size() - 1)) + " and " + n.get(n.size() - 1);
    }
}
