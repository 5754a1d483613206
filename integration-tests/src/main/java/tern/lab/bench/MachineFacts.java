package tern.lab.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import tern.common.stats.Json;

/** What the report says about the machine: CPU model, memory, file systems, and the unit of /proc's CPU times. */
final class MachineFacts {
    private MachineFacts() {
    }

    /** USER_HZ, the unit of /proc/PID/stat's times (100 on Linux/x86 whatever the kernel's HZ). */
    static double clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return Double.parseDouble(v);
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 100;
    }

    static String cpuModel() {
        try {
            String v = ProcFs.field(Files.readAllLines(Path.of("/proc/cpuinfo")), "model name");
            return v == null ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The JSON "machine" object: cores, CPU model, memory, OS, and the file systems of images and sources. */
    static Json json(Path imageDir, Path sourceDir) {
        long total = ProcFs.meminfoBytes("MemTotal");
        return Json.object().put("cores", cores()).put("cpu_model", cpuModel())
                .put("mem_total_bytes", total < 0 ? null : total)
                .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
                .put("image_fs", fsType(imageDir)).put("source_fs", fsType(sourceDir));
    }
}
