package tern.lab.trial;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import tern.sender.engine.EngineConfig;
import tern.sender.workload.Workloads;

/**
 * One trial: the same workload (same seed, memory and pace) migrated once per variant.
 *
 * @param workload    how to open a fresh copy of the workload for each run
 * @param engine      the engine's settings; each run changes only the mode and XBZRLE
 * @param variants    the runs, in order
 * @param to          a tern-receiver --keep-serving to migrate to, or null for one embedded on loopback
 * @param out         where tables, CSV, JSON and the chart go
 * @param recordTrace where to write the first run's stores as a trace, or null
 */
public record TrialSettings(Workloads workload, EngineConfig engine, List<TrialVariant> variants, InetSocketAddress to,
                            Path out, Path recordTrace) {
    public TrialSettings {
        variants = List.copyOf(variants);
    }
}
