package tern.lab.trial;

import java.util.List;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.sender.engine.MigrationResult;

/** What one run of a trial measured; {@code error} is null when the migration was verified. */
public record TrialRun(TrialVariant variant, MigrationResult result, String error) {
    public MigrationSummary summary() {
        return result.summary();
    }

    public List<IterationStats> iterations() {
        return result.iterations();
    }

    /** Iteration {@code k} (1-based), or null when the run had fewer. */
    public IterationStats iteration(int k) {
        return k <= iterations().size() ? iterations().get(k - 1) : null;
    }

    /** Bytes on the wire over the oracle's bytes; null when the oracle was not measured or is zero. */
    public Double wireOverOracle() {
        Long o = summary().oracleBytes();
        return o == null || o == 0 ? null : (double) summary().bytesOnWire() / o;
    }
}
