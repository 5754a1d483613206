package tern.sender.engine;

import java.time.Duration;
import tern.common.digest.DigestKind;

/** Everything the pre-copy loop is told; the CLI and tests build it. */
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

    /** The seed's set-up where it has one, sane values elsewhere. */
    public static EngineConfig defaults() {
        return new EngineConfig("tern-" + Long.toHexString(System.nanoTime()), Mode.DIGEST, DigestKind.SHA256, true,
                false, 64L << 20, 64, 16, 0, Duration.ofMillis(300), 30, null, OnNoConvergence.FORCE,
                AfterSuccess.STAY_PAUSED);
    }

    public EngineConfig withMode(Mode m) {
        return new EngineConfig(migrationId, m, digest, audit, xbzrle, xbzrleCacheBytes, batchPages, window,
                bandwidthBytesPerSecond, downtimeLimit, maxIterations, maxTime, onNoConvergence, afterSuccess);
    }

    public EngineConfig withXbzrle(boolean on) {
        return new EngineConfig(migrationId, mode, digest, audit, on, xbzrleCacheBytes, batchPages, window,
                bandwidthBytesPerSecond, downtimeLimit, maxIterations, maxTime, onNoConvergence, afterSuccess);
    }

    public EngineConfig withIterations(int max, Duration downtime) {
        return new EngineConfig(migrationId, mode, digest, audit, xbzrle, xbzrleCacheBytes, batchPages, window,
                bandwidthBytesPerSecond, downtime, max, maxTime, onNoConvergence, afterSuccess);
    }

    public EngineConfig withDigest(DigestKind d, boolean auditOn) {
        return new EngineConfig(migrationId, mode, d, auditOn, xbzrle, xbzrleCacheBytes, batchPages, window,
                bandwidthBytesPerSecond, downtimeLimit, maxIterations, maxTime, onNoConvergence, afterSuccess);
    }

    public EngineConfig withBandwidth(long bytesPerSecond) {
        return new EngineConfig(migrationId, mode, digest, audit, xbzrle, xbzrleCacheBytes, batchPages, window,
                bytesPerSecond, downtimeLimit, maxIterations, maxTime, onNoConvergence, afterSuccess);
    }

    public EngineConfig withPolicy(OnNoConvergence onc, AfterSuccess after) {
        return new EngineConfig(migrationId, mode, digest, audit, xbzrle, xbzrleCacheBytes, batchPages, window,
                bandwidthBytesPerSecond, downtimeLimit, maxIterations, maxTime, onc, after);
    }

    public EngineConfig withBatch(int pages, int windowBatches) {
        return new EngineConfig(migrationId, mode, digest, audit, xbzrle, xbzrleCacheBytes, pages, windowBatches,
                bandwidthBytesPerSecond, downtimeLimit, maxIterations, maxTime, onNoConvergence, afterSuccess);
    }

    /** Whether pages are hashed: always in digest mode, else only to count false dirty pages. */
    boolean hashes() {
        return mode == Mode.DIGEST || audit;
    }
}
