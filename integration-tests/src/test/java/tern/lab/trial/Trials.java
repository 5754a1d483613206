package tern.lab.trial;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import tern.common.digest.DigestKind;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.Mode;
import tern.sender.workload.Pacing;
import tern.sender.workload.Workloads;

/** Deterministic trial set-ups for tests: N visits per captured page, no bandwidth cap, a fixed number of passes. */
final class Trials {
    private Trials() {
    }

    /**
     * Exactly {@code passes} passes and a forced stop-and-copy: a downtime limit of 0 converges only
     * when nothing is dirty, so no run's course depends on a measured bandwidth.
     */
    static TrialSettings fixed(String workload, Long memory, double visitsPerPage, int passes, Path out, String runs) {
        EngineConfig engine = EngineConfig.builder().migrationId("test-trial").mode(Mode.DIGEST).digest(DigestKind.SHA256)
                .audit(true).xbzrle(false).xbzrleCacheBytes(64L << 20).batchPages(16).window(4).bandwidthBytesPerSecond(0)
                .downtimeLimit(Duration.ZERO).maxIterations(passes).maxTime(null)
                .onNoConvergence(EngineConfig.OnNoConvergence.FORCE).afterSuccess(EngineConfig.AfterSuccess.STAY_PAUSED)
                .build();
        Workloads w = new Workloads(workload, memory, 4096, new Pacing(false, visitsPerPage), null, 0.5, null, 7, 1);
        return new TrialSettings(w, engine, TrialVariant.parseList(runs), null, out, null);
    }

    static TrialRun byLabel(List<TrialRun> runs, String label) {
        return runs.stream().filter(r -> r.variant().label().equals(label)).findFirst().orElseThrow();
    }
}
