package tern.lab.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tern.common.stats.Json;
import tern.common.units.ByteSize;

/**
 * tern-bench --alloc: one more default run (digest, sha256) with a JFR recording in each process,
 * and what each side's page path allocated per page moved ({@link AllocationProfile}).
 */
record AllocationRun(TernRun run, AllocationProfile sender, AllocationProfile receiver) {
    private static final int SITES = 6;
    private static final int DEPTH = 4;

    static AllocationRun run(TernRuns tern, Scratch scratch, Path source, long bytes) throws Exception {
        Path jfr = scratch.runDir("alloc-");
        try {
            TernConfig cfg = TernConfig.select(List.of("digest-sha256")).get(0);
            TernRun t = tern.run(cfg, source, bytes, " (allocation profile)", jfr);
            return new AllocationRun(t, AllocationProfile.read(jfr.resolve("sender.jfr"), SITES, DEPTH),
                    AllocationProfile.read(jfr.resolve("receiver.jfr"), SITES, DEPTH));
        } finally {
            scratch.doneWith(jfr);
        }
    }

    String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nAllocation on the page path, per page moved (JFR allocation samples;"
                + " tern digest sha256, %s, %d pages; start-up and the digest tables made at the hello left out)%n",
                ByteSize.format(run.imageBytes()), run.pages()));
        side(b, "sender", sender);
        side(b, "receiver", receiver);
        return b.toString();
    }

    private void side(StringBuilder b, String name, AllocationProfile p) {
        b.append(String.format(Locale.ROOT, "%-8s %8.1f B/page%n", name, p.bytes() / (double) run.pages()));
        for (AllocationProfile.Site s : p.sites()) {
            b.append(String.format(Locale.ROOT, "         %8.1f  %s%n", s.bytes() / (double) run.pages(), s.frames()));
        }
    }

    Json json() {
        return Json.object().put("image_bytes", run.imageBytes()).put("pages", run.pages())
                .put("method", "JFR jdk.ObjectAllocationSample weights on stacks through the engine loop, the receiver's"
                        + " stream handler or a netty event loop; start-up and the hello's tables left out")
                .put("sender", sideJson(sender)).put("receiver", sideJson(receiver));
    }

    private Json sideJson(AllocationProfile p) {
        List<Object> sites = new ArrayList<>();
        for (AllocationProfile.Site s : p.sites()) {
            sites.add(Json.object().put("frames", s.frames())
                    .put("bytes_per_page", Math.round(s.bytes() * 10.0 / run.pages()) / 10.0));
        }
        return Json.object().put("bytes_per_page", Math.round(p.bytes() * 10.0 / run.pages()) / 10.0).put("sites", sites);
    }
}
