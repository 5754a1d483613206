package tern.sender.engine;

import java.util.List;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;

/** A finished migration's figures: every iteration, then the summary. */
public record MigrationResult(List<IterationStats> iterations, MigrationSummary summary) {
}
