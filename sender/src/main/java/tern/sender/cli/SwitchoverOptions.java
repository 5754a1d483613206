package tern.sender.cli;

import java.time.Duration;
import picocli.CommandLine.Option;
import tern.common.units.ByteRate;
import tern.common.units.Converters;

/**
 * When a migration switches over: the cap on the bandwidth it is measured at, and the downtime it
 * may take. The same two options in tern-sender, tern-trial and tern-qemu-trial.
 */
public final class SwitchoverOptions {
    @Option(names = "--bandwidth", paramLabel = "SIZE/s", converter = Converters.Rate.class,
            description = "Cap on wire bytes per second, e.g. 32MiB or 100MB/s; 0 for none (default: ${DEFAULT-VALUE}).")
    ByteRate bandwidth;

    @Option(names = "--downtime-limit", paramLabel = "DURATION", converter = Converters.Time.class, defaultValue = "300ms",
            description = "Switch over when what remains can be sent within this (default: ${DEFAULT-VALUE}).")
    Duration downtimeLimit;

    /** tern-sender's: no cap. */
    public SwitchoverOptions() {
        this("0");
    }

    /** With another default cap, such as the seed's 32MiB of the trials (shown as the default in --help). */
    public SwitchoverOptions(String defaultBandwidth) {
        this.bandwidth = ByteRate.parse(defaultBandwidth);
    }

    /** 0 for no cap. */
    public long bandwidthBytesPerSecond() {
        return bandwidth.bytesPerSecond();
    }

    public Duration downtimeLimit() {
        return downtimeLimit;
    }
}
