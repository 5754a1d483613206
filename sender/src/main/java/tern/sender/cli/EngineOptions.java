package tern.sender.cli;

import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tern.common.cli.CliEnum;
import tern.common.digest.DigestKind;
import tern.common.units.Converters;
import tern.sender.engine.EngineConfig;
import tern.sender.engine.Mode;

/**
 * The engine's options that every tool driving the engine shares (tern-sender, tern-trial), and
 * the one place the command line builds an {@link EngineConfig}. What a tool decides for itself
 * (tern-sender's --mode and policies, a trial's mode per run) it sets on the result.
 */
public final class EngineOptions {
    @Option(names = "--digest", defaultValue = "sha256", paramLabel = "NAME", converter = Digests.class,
            completionCandidates = Digests.class,
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    DigestKind digest;

    @Option(names = "--xbzrle-cache", paramLabel = "SIZE", converter = Converters.Size.class, defaultValue = "64MiB",
            description = "XBZRLE cache size (default: ${DEFAULT-VALUE}).")
    long xbzrleCache;

    @Mixin
    SwitchoverOptions switchover;

    @Option(names = "--max-iterations", defaultValue = "30",
            description = "Iterations before a migration counts as not converged (default: ${DEFAULT-VALUE}).")
    int maxIterations;

    @Option(names = "--max-time", paramLabel = "DURATION", converter = Converters.Time.class,
            description = "Time before a migration counts as not converged (default: none).")
    Duration maxTime;

    public static final class Digests extends CliEnum<DigestKind> {
        public Digests() {
            super(DigestKind.class);
        }
    }

    /** tern-sender's defaults: no bandwidth cap. */
    public EngineOptions() {
        this(new SwitchoverOptions());
    }

    public EngineOptions(SwitchoverOptions switchover) {
        this.switchover = switchover;
    }

    /**
     * A builder holding these options, in digest mode with the audit on, no XBZRLE, batches and window as
     * the engine's defaults, and a forced stop-and-copy without convergence.
     */
    public EngineConfig.Builder config(String migrationId, long pageSize) {
        if (xbzrleCache < pageSize) {
            throw new IllegalArgumentException("--xbzrle-cache " + xbzrleCache + " holds not even one page");
        }
        return EngineConfig.builder().migrationId(migrationId).mode(Mode.DIGEST).digest(digest).audit(true).xbzrle(false)
                .xbzrleCacheBytes(xbzrleCache).bandwidthBytesPerSecond(switchover.bandwidthBytesPerSecond())
                .downtimeLimit(switchover.downtimeLimit()).maxIterations(maxIterations).maxTime(maxTime)
                .onNoConvergence(EngineConfig.OnNoConvergence.FORCE).afterSuccess(EngineConfig.AfterSuccess.STAY_PAUSED);
    }
}
