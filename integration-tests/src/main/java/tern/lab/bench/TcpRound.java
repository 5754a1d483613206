package tern.lab.bench;

/**
 * One transfer of a TCP ceiling run: its bytes, the source's time from the first page copied to
 * the sink's acknowledgement, the sink's own time, and each side's CPU over the round.
 */
record TcpRound(int round, boolean warmup, long bytes, long nanos, long sinkNanos, Cpu source, Cpu sink, MachineLoad machine) {
    double bytesPerS() {
        return bytes * 1e9 / nanos;
    }
}
