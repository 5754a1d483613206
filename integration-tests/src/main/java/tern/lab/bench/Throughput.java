package tern.lab.bench;

import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Every round of the throughput runs, and each kind's fastest: this machine's noise (other work,
 * the host) only slows runs down, so the fastest is the closest to what the code can do.
 * {@code terns} holds one list per configuration, in the order of {@code configs}.
 */
record Throughput(List<LocalWrite> locals, List<TcpResult> tcps, List<TcpResult> discards, List<List<TernRun>> terns) {
    LocalWrite local() {
        return fastest(locals, LocalWrite::bytesPerS);
    }

    TcpResult tcp() {
        return fastest(tcps, t -> t.best().bytesPerS());
    }

    TcpResult discard() {
        return fastest(discards, t -> t.best().bytesPerS());
    }

    /** The fastest run of each configuration. */
    List<TernRun> ternBest() {
        return terns.stream().map(runs -> fastest(runs, TernRun::bytesPerS)).toList();
    }

    private static <T> T fastest(List<T> runs, ToDoubleFunction<T> key) {
        return runs.stream().max(Comparator.comparingDouble(key)).orElseThrow();
    }
}
