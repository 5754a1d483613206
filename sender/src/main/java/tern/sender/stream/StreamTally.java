package tern.sender.stream;

/**
 * What the parser saw of QEMU's stream, counted as it parsed: every byte read, the opaque ones
 * (tail included), the tail alone, PAGE and ZERO records, and the "ram" sections (START, PARTs,
 * END: one per call of QEMU's ram_save_iterate, not one per pass).
 */
public record StreamTally(long bytesRead, long opaqueBytes, long tailBytes, long pageRecords, long zeroRecords,
                          long ramSections, String machineType) {
}
