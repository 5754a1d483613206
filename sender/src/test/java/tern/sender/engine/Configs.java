package tern.sender.engine;

import java.time.Duration;
import tern.common.digest.DigestKind;
import tern.common.page.PageGeometry;
import tern.sender.workload.Pacing;
import tern.sender.workload.SyntheticWorkload;
import tern.sender.workload.WorkloadPattern;

/** Test set-ups: deterministic workloads and engine configurations. */
final class Configs {
    private Configs() {
    }

    static SyntheticWorkload workload(WorkloadPattern p, int pages, double storesPerPage, double silent, long seed) {
        return new SyntheticWorkload(p, new PageGeometry(4096, pages), new Pacing(false, storesPerPage), 0, silent,
                0.25, seed).start();
    }

    /** Exactly {@code iterations} passes before a forced stop-and-copy: a downtime limit of 0 never converges while pages are dirty. */
    static EngineConfig fixed(Mode mode, boolean xbzrle, int iterations) {
        return EngineConfig.builder().mode(mode).xbzrle(xbzrle).maxIterations(iterations).downtimeLimit(Duration.ZERO)
                .batchPages(16).window(4).build();
    }

    static EngineConfig fixed(Mode mode, boolean xbzrle, int iterations, DigestKind digest) {
        return fixed(mode, xbzrle, iterations).toBuilder().digest(digest).audit(true).build();
    }
}
