package tern.receiver.fuzz;

import java.util.concurrent.atomic.LongAdder;

/** What the hostile sessions did, for the fuzz run's report (docs/hostile-input.md). */
final class HostileStats {
    final LongAdder sessions = new LongAdder();
    final LongAdder messages = new LongAdder();
    final LongAdder undecodable = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder accepted = new LongAdder();
    final LongAdder batchesStored = new LongAdder();
    final LongAdder pagesStored = new LongAdder();
    final LongAdder verdicts = new LongAdder();
    final LongAdder foreignBytes = new LongAdder();
    // the service fuzzer's (HostilePeer)
    final LongAdder streams = new LongAdder();
    final LongAdder resets = new LongAdder();

    String summary() {
        return "sessions " + sessions + ", messages " + messages + ", undecodable " + undecodable + ", refused " + refused
                + ", hellos accepted " + accepted + ", batches stored " + batchesStored + ", pages stored " + pagesStored
                + ", verdicts " + verdicts + ", foreign bytes " + foreignBytes;
    }

    String peerSummary() {
        return "executions " + sessions + ", streams " + streams + ", messages " + messages + ", streams reset by the peer "
                + resets + ", refusals " + refused + " (transport's " + undecodable + "), hellos accepted " + accepted
                + ", batches stored " + batchesStored + ", pages stored " + pagesStored + ", verdicts " + verdicts
                + ", foreign bytes " + foreignBytes;
    }
}
