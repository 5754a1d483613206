package tern.lab.bench;

import java.util.Locale;
import tern.common.stats.Json;

/** CPU seconds, user and system. */
record Cpu(double user, double sys) {
    static Cpu of(ProcFs.CpuTicks d, double hz) {
        return new Cpu(d.user() / hz, d.system() / hz);
    }

    static Cpu children(ProcFs.CpuTicks d, double hz) {
        return new Cpu(d.childUser() / hz, d.childSystem() / hz);
    }

    double total() {
        return user + sys;
    }

    Cpu perGib(long bytes) {
        double g = bytes / (double) BenchConstants.GIB;
        return new Cpu(user / g, sys / g);
    }

    Json json() {
        return Json.object().put("user", user).put("sys", sys).put("total", total());
    }

    String show() {
        return String.format(Locale.ROOT, "%.2f (%.2f+%.2f)", total(), user, sys);
    }
}
