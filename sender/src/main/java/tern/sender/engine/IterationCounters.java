package tern.sender.engine;

import tern.common.stats.IterationStats;

/** The counts of the iteration in progress; each is bumped by the code path that did the work. */
final class IterationCounters {
    int iteration;
    String phase;
    long pagesDirty;
    long falseDirty;
    long falseDirtyBeforeRead;
    long falseDirtySilent;
    long sent;
    long skipped;
    long zero;
    long xbzrleHits;
    long xbzrleMisses;
    long xbzrleOverflows;
    long payloadBytes;
    long oraclePages;
    long ackMismatches;
    int reconnects;
    long resent;
    long startNanos;
    long wireStart;
    long ackStart;
    Double dirtyRate;

    void start(int iteration, String phase, long pagesDirty, Double dirtyRate, long wire, long acks) {
        this.iteration = iteration;
        this.phase = phase;
        this.pagesDirty = pagesDirty;
        this.dirtyRate = dirtyRate;
        falseDirty = falseDirtyBeforeRead = falseDirtySilent = 0;
        sent = skipped = zero = xbzrleHits = xbzrleMisses = xbzrleOverflows = 0;
        payloadBytes = oraclePages = ackMismatches = resent = 0;
        reconnects = 0;
        startNanos = System.nanoTime();
        wireStart = wire;
        ackStart = acks;
    }

    /**
     * @param hashed  false dirty pages were counted (digest mode, or --audit on)
     * @param causes  the workload tells the two causes apart
     */
    IterationStats finish(long wire, long acks, boolean hashed, boolean causes) {
        return new IterationStats(iteration, phase, pagesDirty,
                hashed ? falseDirty : null,
                hashed && causes ? falseDirtyBeforeRead : null,
                hashed && causes ? falseDirtySilent : null,
                sent, skipped, zero, xbzrleHits, xbzrleMisses, xbzrleOverflows, payloadBytes,
                oraclePages, ackMismatches, wire - wireStart, acks - ackStart,
                (System.nanoTime() - startNanos) / 1_000_000, dirtyRate, reconnects, resent);
    }
}
