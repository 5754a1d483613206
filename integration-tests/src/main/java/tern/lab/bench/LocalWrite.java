package tern.lab.bench;

/** One local write run: the image side alone, no network. */
record LocalWrite(long bytes, long nanos, Cpu cpu, MachineLoad machine) {
    double bytesPerS() {
        return bytes * 1e9 / nanos;
    }
}
