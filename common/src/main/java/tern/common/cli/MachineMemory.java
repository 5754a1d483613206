package tern.common.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What this JVM and machine can give: the heap limit (-Xmx) and what the heap holds now, the
 * direct-memory limit (-XX:MaxDirectMemorySize; by default the heap limit, as the JDK sets it)
 * and what is allocated of it, and the machine's physical memory and what of it is available
 * (MemAvailable: free memory plus caches the kernel can drop). All in bytes.
 */
public record MachineMemory(long maxHeap, long usedHeap, long maxDirect, long usedDirect, long physical, long available) {

    /** The limits as they are now. */
    public static MachineMemory current() {
        Runtime rt = Runtime.getRuntime();
        long maxHeap = rt.maxMemory();
        long maxDirect = maxHeap;
        try {
            long v = Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize").getValue());
            if (v > 0) {
                maxDirect = v;
            }
        } catch (RuntimeException e) {
            // not HotSpot: the JDK's default, the heap limit
        }
        long usedDirect = 0;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                usedDirect = pool.getMemoryUsed();
            }
        }
        OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        long physical = os.getTotalMemorySize(); // a container's limit, where there is one
        long available = Math.min(physical, memAvailable(os.getFreeMemorySize()));
        return new MachineMemory(maxHeap, rt.totalMemory() - rt.freeMemory(), maxDirect, usedDirect, physical, available);
    }

    /** /proc/meminfo's MemAvailable, else {@code fallback} (free memory only). */
    private static long memAvailable(long fallback) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return fallback;
    }
}
