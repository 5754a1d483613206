package tern.lab.bench;

import java.util.List;

/**
 * One TCP ceiling run (a source and a sink process): every round, the fastest after the warm-up,
 * whether the image matched the source (null when the sink discards), and the processes' figures.
 */
record TcpResult(boolean discard, List<TcpRound> rounds, TcpRound best, Boolean imageMatches, Cpu rusage,
                 ProcSampler.Peaks sourcePeaks, ProcSampler.Peaks sinkPeaks) {
}
