package tern.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Sizes against a machine of 24 GiB with a JVM of 6 GiB heap, as the launchers' defaults give: the error names the options and the limit. */
class MemoryBudgetTest {
    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;
    private static final MachineMemory MACHINE = new MachineMemory(6 * GIB, 0, 6 * GIB, 0, 24 * GIB, 22 * GIB);

    private static String refused(MemoryBudget b) {
        return assertThrows(IllegalArgumentException.class, b::check).getMessage();
    }

    @Test
    void whatFitsPasses() {
        new MemoryBudget(MACHINE).direct("--memory", 4 * GIB).direct("--xbzrle-cache", 64 * MIB)
                .heap("the sender's per-page state", 40 * MIB).check();
    }

    @Test
    void directMemoryOverTheJvmsLimit() {
        assertEquals("--memory (6.0 GiB) needs 6.0 GiB of direct memory, but this JVM may allocate at most 6.0 GiB"
                        + " (by default as much as its heap limit, -Xmx): give less (6.0 GiB is left for them), or raise the"
                        + " limit (TERN_JAVA_EXTRA_OPTS=-XX:MaxDirectMemorySize=SIZE)",
                refused(new MemoryBudget(MACHINE).direct("--memory", 6 * GIB)));
        MachineMemory set = new MachineMemory(6 * GIB, 0, 64 * MIB, 0, 24 * GIB, 22 * GIB);
        assertEquals("--memory (256 MiB) and --xbzrle-cache (64.0 MiB) need 320 MiB of direct memory, but this JVM may"
                        + " allocate at most 64.0 MiB (-XX:MaxDirectMemorySize): give less (48.0 MiB is left for them), or raise"
                        + " the limit (TERN_JAVA_EXTRA_OPTS=-XX:MaxDirectMemorySize=SIZE)",
                refused(new MemoryBudget(set).direct("--xbzrle-cache", 64 * MIB).direct("--memory", 256 * MIB)));
    }

    @Test
    void heapOverTheJvmsLimit() {
        assertEquals("the sender's per-page state (7.0 GiB) needs 7.0 GiB of heap, but this JVM's heap holds at most"
                        + " 6.0 GiB (-Xmx): give less (5.9 GiB is left for them), or raise the limit"
                        + " (TERN_JAVA_EXTRA_OPTS=-XmxSIZE)",
                refused(new MemoryBudget(MACHINE).heap("the sender's per-page state", 7 * GIB)));
    }

    @Test
    void moreThanTheMachineHasComesFirst() {
        assertEquals("--memory (1.0 TiB) needs 1.0 TiB of memory, but this machine has 22.0 GiB available (of 24.0 GiB physical)",
                refused(new MemoryBudget(MACHINE).direct("--memory", 1024 * GIB)));
    }
}
