package tern.sender.engine;

import tern.common.stats.IterationStats;
import tern.proto.Phase;

/**
 * The counts of the iteration in progress, one instance per iteration; each is bumped by the
 * code path that did the work. Bytes on the wire, acknowledgement bytes and reconnects are the
 * link's own counts, taken as their growth over the iteration. A new figure is a field here and
 * its line in {@link #stats}, plus its component in {@link IterationStats}.
 */
final class IterationCounters {
    final int iteration;
    final long pagesDirty;
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
    long resent;
    private final String phase;
    private final Double dirtyRate;
    private final ResumingLink link;
    private final long startNanos = System.nanoTime();
    private final long wireStart;
    private final long ackStart;
    private final int reconnectsStart;
    private boolean ended;

    IterationCounters(int iteration, Phase phase, long pagesDirty, Double dirtyRate, ResumingLink link) {
        this.iteration = iteration;
        this.phase = phaseName(phase);
        this.pagesDirty = pagesDirty;
        this.dirtyRate = dirtyRate;
        this.link = link;
        this.wireStart = link.meter().outbound();
        this.ackStart = link.meter().inbound();
        this.reconnectsStart = link.reconnects();
    }

    /** A false dirty page, by its cause where the workload tells them apart. */
    void falseDirty(boolean silentStore) {
        falseDirty++;
        if (silentStore) {
            falseDirtySilent++;
        } else {
            falseDirtyBeforeRead++;
        }
    }

    /** Wire bytes sent since the iteration began. */
    long wireBytes() {
        return link.meter().outbound() - wireStart;
    }

    /** The iteration's figures, and it is over: ended by its pass ({@code finished}) or by a failure. */
    IterationStats finish(boolean hashed, boolean causes, boolean finished) {
        ended = true;
        return stats(hashed, causes, finished);
    }

    /** Whether {@link #finish} was called. */
    boolean ended() {
        return ended;
    }

    /**
     * The figures so far.
     *
     * @param hashed  false dirty pages were counted (digest mode, or --audit on)
     * @param causes  the workload tells the two causes apart
     */
    IterationStats stats(boolean hashed, boolean causes, boolean finished) {
        return IterationStats.builder()
                .iteration(iteration)
                .phase(phase)
                .pagesDirty(pagesDirty)
                .pagesFalseDirty(hashed ? falseDirty : null)
                .falseDirtyBeforeRead(hashed && causes ? falseDirtyBeforeRead : null)
                .falseDirtySilent(hashed && causes ? falseDirtySilent : null)
                .pagesSent(sent)
                .pagesSkipped(skipped)
                .pagesZero(zero)
                .xbzrleHits(xbzrleHits)
                .xbzrleMisses(xbzrleMisses)
                .xbzrleOverflows(xbzrleOverflows)
                .payloadBytes(payloadBytes)
                .oraclePages(oraclePages)
                .ackMismatches(ackMismatches)
                .bytesOnWire(wireBytes())
                .ackBytes(link.meter().inbound() - ackStart)
                .durationMs((System.nanoTime() - startNanos) / 1_000_000)
                .dirtyRate(dirtyRate)
                .reconnects(link.reconnects() - reconnectsStart)
                .pagesResent(resent)
                .finished(finished)
                .build();
    }

    /** The stats file's name of a phase. */
    static String phaseName(Phase p) {
        return switch (p) {
            case BULK -> "bulk";
            case ITERATIVE -> "iterative";
            case STOP_AND_COPY -> "stop-and-copy";
            case RESYNC -> "resync";
            default -> p.name();
        };
    }
}
