package tern.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcFsTest {
    @Test
    void statFieldsAreCountedFromTheLastParenthesis() {
        // utime 1234, stime 567, cutime 89, cstime 10; the command name holds spaces and parentheses.
        String line = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 89 10 20 0 23 0 12345 "
                + "4000000000 30000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        ProcFs.CpuTicks t = ProcFs.parseStat(line);
        assertEquals(new ProcFs.CpuTicks(1234, 567, 89, 10), t);
        assertEquals(1801, t.total());
        assertEquals(new ProcFs.CpuTicks(1000, 500, 80, 10), t.minus(new ProcFs.CpuTicks(234, 67, 9, 0)));
    }

    @Test
    void aShortOrForeignStatLineIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProcFs.parseStat("no parenthesis here"));
        assertThrows(IllegalArgumentException.class, () -> ProcFs.parseStat("1 (java) S 1 2 3"));
    }

    @Test
    void thisProcessCanBeRead() {
        ProcFs.CpuTicks self = ProcFs.self();
        assertTrue(self.user() >= 0 && self.system() >= 0);
        assertTrue(ProcFs.readStat(ProcessHandle.current().pid()).isPresent());
        assertTrue(ProcFs.readStatus(ProcessHandle.current().pid()).orElseThrow().get("VmRSS") > 0);
    }

    @Test
    void threadsAreGroupedByNameWithoutNumbers() {
        Map<Long, ProcFs.ThreadTicks> before = Map.of(
                1L, new ProcFs.ThreadTicks("main", 100, 10),
                2L, new ProcFs.ThreadTicks("C2 CompilerThre", 50, 0),
                4L, new ProcFs.ThreadTicks("idle", 7, 7));
        Map<Long, ProcFs.ThreadTicks> after = Map.of(
                1L, new ProcFs.ThreadTicks("main", 300, 30),
                2L, new ProcFs.ThreadTicks("C2 CompilerThre", 60, 0),
                3L, new ProcFs.ThreadTicks("grpc-nio-worker-ELG-1-2", 40, 20), // started in between
                5L, new ProcFs.ThreadTicks("grpc-nio-worker-ELG-1-3", 1, 1),
                4L, new ProcFs.ThreadTicks("idle", 7, 7));
        Map<String, long[]> d = ProcFs.threadDelta(before, after);
        assertEquals(List.of("C2 CompilerThre", "grpc-nio-worker-ELG-#-#", "main"), List.copyOf(d.keySet()));
        assertEquals(List.of(200L, 20L), List.of(d.get("main")[0], d.get("main")[1]));
        assertEquals(List.of(41L, 21L), List.of(d.get("grpc-nio-worker-ELG-#-#")[0], d.get("grpc-nio-worker-ELG-#-#")[1]));
        assertEquals("java (x) y", ProcFs.parseComm("4242 (java (x) y) S 1"));
        assertEquals("GC Thread#", ProcFs.kind("GC Thread#1"));
        assertEquals("C1 CompilerThre", ProcFs.kind("C1 CompilerThre"));
        assertEquals("grpc-default-ex", ProcFs.kind("grpc-default-ex"));
        assertEquals("tern-workload-#", ProcFs.kind("tern-workload-12"));
        assertEquals("main (java)", ProcFs.kind("java"));
    }

    @Test
    void machineLineSumsNiceIntoUserAndInterruptsIntoSystem() {
        ProcFs.MachineTicks m = ProcFs.parseMachine("cpu  468339 5 124585 563625 3568 7 4563 2269 0 0");
        assertEquals(new ProcFs.MachineTicks(468344, 124585 + 7 + 4563, 563625, 3568, 2269), m);
        assertEquals(468344 + 129155 + 563625 + 3568 + 2269, m.all());
        assertThrows(IllegalArgumentException.class, () -> ProcFs.parseMachine("cpu0 1 2 3 4 5 6 7 8"));
        assertTrue(ProcFs.machine().all() > 0);
    }

    @Test
    void statusLinesInKibibytesBecomeBytes() {
        Map<String, Long> m = ProcFs.parseStatusBytes(List.of("Name:\tjava", "VmHWM:\t  204800 kB", "VmRSS:\t  102400 kB",
                "RssAnon:\t   51200 kB", "RssFile:\t 1024 kB", "RssShmem:\t       0 kB", "Threads:\t23",
                "Cpus_allowed_list:\t0-1"));
        assertEquals(204800L * 1024, m.get("VmHWM"));
        assertEquals(102400L * 1024, m.get("VmRSS"));
        assertEquals(51200L * 1024, m.get("RssAnon"));
        assertEquals(1024L * 1024, m.get("RssFile"));
        assertEquals(0L, m.get("RssShmem"));
        assertNull(m.get("Threads"));
        assertNull(m.get("Name"));
    }

    @Test
    void cpuinfoFieldIsTheFirstOccurrence() {
        List<String> cpuinfo = List.of("processor\t: 0", "model name\t: AMD EPYC", "processor\t: 1", "model name\t: other");
        assertEquals("AMD EPYC", ProcFs.field(cpuinfo, "model name"));
        assertNull(ProcFs.field(cpuinfo, "flags"));
    }

    @Test
    void sizeListsParse() {
        assertEquals(List.of(1L << 30, 4L << 30, 8L << 30), BenchMain.parseSizes("1GiB, 4GiB,8GiB"));
        assertEquals(List.of(), BenchMain.parseSizes("none"));
        assertThrows(IllegalArgumentException.class, () -> BenchMain.parseSizes("1000"));
        assertThrows(IllegalArgumentException.class, () -> BenchMain.parseSizes("1GiB,x"));
    }
}
