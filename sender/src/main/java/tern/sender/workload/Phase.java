package tern.sender.workload;

import java.util.List;

/**
 * A stretch of a model's run with one write pattern.
 *
 * @param length  how long it lasts, in visits per page of memory (0: until the end)
 * @param regions where the visits land, by weight
 */
public record Phase(double length, List<Region> regions) {
    public Phase {
        regions = List.copyOf(regions);
        if (regions.isEmpty() || length < 0) {
            throw new IllegalArgumentException("a phase needs regions and a length >= 0");
        }
    }

    public static Phase forever(Region... regions) {
        return new Phase(0, List.of(regions));
    }
}
