package tern.sender.stream;

/**
 * What the parser saw of QEMU's stream, counted as it parsed: every byte read, the opaque ones
 * (tail included), the tail alone, PAGE and ZERO records, and the "ram" sections (START, PARTs,
 * END: one per call of QEMU's ram_save_iterate, not one per pass); the machine type of the
 * configuration section (null without one), and whether QEMU announced the pause with
 * SWITCHOVER_START (10.x) rather than only by starting the END section.
 */
public record StreamTally(long bytesRead, long opaqueBytes, long tailBytes, long pageRecords, long zeroRecords,
                          long ramSections, String machineType, boolean switchoverStart) {
}
