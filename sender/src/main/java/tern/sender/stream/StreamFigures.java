package tern.sender.stream;

import tern.common.stats.Json;

/**
 * The stream path's own figures (docs/figures.md), the {@code "type":"qemu-stream"} line after the
 * summary in --stats: what QEMU's stream held, what QEMU itself said, the guest's downtime from
 * QEMU's own timestamps (source STOP to destination RESUME: QEMU's "downtime" behind a relay ends
 * when the local socket took the last byte, so it is never reported as Tern's), where that time
 * went (the relay's own marks on the host clock: the pause, the device state and the end parsed
 * from QEMU's stream, the end acknowledged by the receiver), and the relay's budgets with what
 * they held at most. Null: not measured.
 */
public record StreamFigures(
        String qemuVersion,
        String machineType,
        long streamPages,
        long streamPagesHeld,
        long streamZeroRecords,
        long streamOpaqueBytes,
        long streamTailBytes,
        long qemuStreamBytes,
        Long qemuDirtySyncCount,
        String switchover,
        Long guestStoppedEpochMicros,
        Long guestResumedEpochMicros,
        Long pausedParsedEpochMicros,
        Long deviceStateParsedEpochMicros,
        Long endParsedEpochMicros,
        Long endAckedEpochMicros,
        Long destinationPid,
        long unsentBudgetBytes,
        long unsentPeakBytes,
        long replayBudgetBytes,
        long replayPeakBytes) {

    /** STOP on the source to RESUME on the destination, from QEMU's own event timestamps; null unless both came. */
    public Long guestDowntimeMs() {
        return guestStoppedEpochMicros == null || guestResumedEpochMicros == null ? null
                : (guestResumedEpochMicros - guestStoppedEpochMicros) / 1000;
    }

    /** The stats file's keys, in this order (documented; scripts and tests read them). */
    public Json toJson() {
        return Json.object()
                .put("type", "qemu-stream")
                .put("qemu_version", qemuVersion)
                .put("machine_type", machineType)
                .put("stream_pages", streamPages)
                .put("stream_pages_held", streamPagesHeld)
                .put("stream_zero_records", streamZeroRecords)
                .put("stream_opaque_bytes", streamOpaqueBytes)
                .put("stream_tail_bytes", streamTailBytes)
                .put("qemu_stream_bytes", qemuStreamBytes)
                .put("qemu_dirty_sync_count", qemuDirtySyncCount)
                .put("switchover", switchover)
                .put("guest_downtime_ms", guestDowntimeMs())
                .put("guest_stopped_epoch_us", guestStoppedEpochMicros)
                .put("guest_resumed_epoch_us", guestResumedEpochMicros)
                .put("paused_parsed_epoch_us", pausedParsedEpochMicros)
                .put("device_state_parsed_epoch_us", deviceStateParsedEpochMicros)
                .put("end_parsed_epoch_us", endParsedEpochMicros)
                .put("end_acked_epoch_us", endAckedEpochMicros)
                .put("destination_pid", destinationPid)
                .put("unsent_budget_bytes", unsentBudgetBytes)
                .put("unsent_peak_bytes", unsentPeakBytes)
                .put("replay_budget_bytes", replayBudgetBytes)
                .put("replay_peak_bytes", replayPeakBytes);
    }
}
