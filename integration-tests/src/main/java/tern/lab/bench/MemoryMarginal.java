package tern.lab.bench;

import static tern.lab.bench.BenchConstants.GIB;

import java.util.List;
import java.util.Optional;

/**
 * What one more GiB of image costs in memory, from the two largest memory runs: the growth of
 * each side's VmHWM and RssAnon divided by the growth of the image, in bytes per GiB. Fixed costs
 * (the JVM, the heap's floor) cancel out.
 */
record MemoryMarginal(TernRun lo, TernRun hi) {
    /** From the last two runs (the sizes ascending as given); empty with fewer than two. */
    static Optional<MemoryMarginal> of(List<TernRun> memory) {
        return memory.size() < 2 ? Optional.empty()
                : Optional.of(new MemoryMarginal(memory.get(memory.size() - 2), memory.get(memory.size() - 1)));
    }

    private double gib() {
        return (hi.imageBytes() - lo.imageBytes()) / (double) GIB;
    }

    double senderVmHwm() {
        return (hi.sender().vmHwm() - lo.sender().vmHwm()) / gib();
    }

    double senderRssAnon() {
        return (hi.sender().rssAnon() - lo.sender().rssAnon()) / gib();
    }

    double receiverVmHwm() {
        return (hi.receiver().vmHwm() - lo.receiver().vmHwm()) / gib();
    }

    double receiverRssAnon() {
        return (hi.receiver().rssAnon() - lo.receiver().rssAnon()) / gib();
    }
}
