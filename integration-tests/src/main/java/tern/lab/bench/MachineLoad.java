package tern.lab.bench;

import java.util.Locale;
import tern.common.stats.Json;

/** The whole machine over a window: shares of all cores' time busy, idle, waiting for I/O, and stolen by the host. */
record MachineLoad(double busy, double idle, double iowait, double steal) {
    static MachineLoad of(ProcFs.MachineTicks d) {
        double all = Math.max(1, d.all());
        return new MachineLoad((d.user() + d.system()) / all, d.idle() / all, d.iowait() / all, d.steal() / all);
    }

    Json json() {
        return Json.object().put("busy", busy).put("idle", idle).put("iowait", iowait).put("steal", steal);
    }

    String show() {
        return String.format(Locale.ROOT, "%3.0f/%2.0f/%2.0f/%2.0f", 100 * busy, 100 * idle, 100 * iowait, 100 * steal);
    }
}
