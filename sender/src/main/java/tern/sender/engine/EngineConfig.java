package tern.sender.engine;

import java.time.Duration;
import tern.common.digest.DigestKind;

/** Everything the pre-copy loop is told; the CLI and tests build it by name ({@link #builder()}). */
public record EngineConfig(
        String migrationId,
        Mode mode,
        DigestKind digest,
        boolean audit,
        boolean xbzrle,
        long xbzrleCacheBytes,
        int batchPages,
        int window,
        long bandwidthBytesPerSecond,
        Duration downtimeLimit,
        int maxIterations,
        Duration maxTime,
        OnNoConvergence onNoConvergence,
        AfterSuccess afterSuccess) {

    public enum OnNoConvergence { FORCE, ABORT }

    public enum AfterSuccess { STAY_PAUSED, CONTINUE, KILL }

    public EngineConfig {
        if (batchPages < 1 || batchPages > 4096) {
            throw new IllegalArgumentException("--batch-pages " + batchPages + " must be in 1..4096");
        }
        if (window < 1 || window > 1024) {
            throw new IllegalArgumentException("--window " + window + " must be in 1..1024");
        }
        if (maxIterations < 1) {
            throw new IllegalArgumentException("--max-iterations " + maxIterations + " must be at least 1");
        }
        if (downtimeLimit.isNegative()) {
            throw new IllegalArgumentException("--downtime-limit must not be negative");
        }
    }

    /** The defaults, to change by name. */
    public static Builder builder() {
        return new Builder();
    }

    /** This configuration, to change by name. */
    public Builder toBuilder() {
        return new Builder().migrationId(migrationId).mode(mode).digest(digest).audit(audit).xbzrle(xbzrle)
                .xbzrleCacheBytes(xbzrleCacheBytes).batchPages(batchPages).window(window)
                .bandwidthBytesPerSecond(bandwidthBytesPerSecond).downtimeLimit(downtimeLimit)
                .maxIterations(maxIterations).maxTime(maxTime).onNoConvergence(onNoConvergence)
                .afterSuccess(afterSuccess);
    }

    /** Whether pages are hashed: always in digest mode, else only to count false dirty pages. */
    boolean hashes() {
        return mode == Mode.DIGEST || audit;
    }

    /**
     * Starts from the defaults: the seed's set-up where it has one, sane values elsewhere.
     * {@link #build()} checks the values (the record's constructor).
     */
    public static final class Builder {
        private String migrationId = "tern-" + Long.toHexString(System.nanoTime());
        private Mode mode = Mode.DIGEST;
        private DigestKind digest = DigestKind.SHA256;
        private boolean audit = true;
        private boolean xbzrle;
        private long xbzrleCacheBytes = 64L << 20;
        private int batchPages = 64;
        private int window = 16;
        private long bandwidthBytesPerSecond; // 0: no cap
        private Duration downtimeLimit = Duration.ofMillis(300);
        private int maxIterations = 30;
        private Duration maxTime; // null: no limit
        private OnNoConvergence onNoConvergence = OnNoConvergence.FORCE;
        private AfterSuccess afterSuccess = AfterSuccess.STAY_PAUSED;

        private Builder() {
        }

        public Builder migrationId(String v) { migrationId = v; return this; }
        public Builder mode(Mode v) { mode = v; return this; }
        public Builder digest(DigestKind v) { digest = v; return this; }
        public Builder audit(boolean v) { audit = v; return this; }
        public Builder xbzrle(boolean v) { xbzrle = v; return this; }
        public Builder xbzrleCacheBytes(long v) { xbzrleCacheBytes = v; return this; }
        public Builder batchPages(int v) { batchPages = v; return this; }
        public Builder window(int v) { window = v; return this; }
        public Builder bandwidthBytesPerSecond(long v) { bandwidthBytesPerSecond = v; return this; }
        public Builder downtimeLimit(Duration v) { downtimeLimit = v; return this; }
        public Builder maxIterations(int v) { maxIterations = v; return this; }
        public Builder maxTime(Duration v) { maxTime = v; return this; }
        public Builder onNoConvergence(OnNoConvergence v) { onNoConvergence = v; return this; }
        public Builder afterSuccess(AfterSuccess v) { afterSuccess = v; return this; }

        public EngineConfig build() {
            return new EngineConfig(migrationId, mode, digest, audit, xbzrle, xbzrleCacheBytes, batchPages, window,
                    bandwidthBytesPerSecond, downtimeLimit, maxIterations, maxTime, onNoConvergence, afterSuccess);
        }
    }
}
