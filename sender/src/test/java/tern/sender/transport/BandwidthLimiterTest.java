package tern.sender.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The cap's arithmetic on a simulated clock: no timing, no sleeps. */
class BandwidthLimiterTest {
    private long now;

    private BandwidthLimiter limiter(long rate) {
        return new BandwidthLimiter(rate, () -> now);
    }

    @Test
    void eachSendWaitsForItsBytesToDrainAtTheRate() {
        BandwidthLimiter l = limiter(1_000_000); // 1 byte per microsecond
        assertEquals(0, l.waitNanos(), "the first send goes at once");
        l.sent(1000);
        assertEquals(1_000_000, l.waitNanos());
        now += 400_000;
        assertEquals(600_000, l.waitNanos());
    }

    @Test
    void aLateWakeUpIsMadeUpRatherThanLost() {
        BandwidthLimiter l = limiter(1_000_000);
        long sentBytes = 0;
        for (int i = 0; i < 100; i++) {
            now += l.waitNanos() + 300_000; // wakes 0.3 ms late every time (< the burst allowance)
            l.sent(1000);
            sentBytes += 1000;
        }
        // 100 sends of 1 ms each, late by 0.3 ms each: the schedule only slips by the last lateness
        long schedule = l.waitNanos() + now;
        assertEquals(sentBytes * 1000 + 300_000, schedule, "rate held over the run");
    }

    @Test
    void creditAfterIdlingIsBounded() {
        BandwidthLimiter l = limiter(1_000_000);
        l.sent(1000);
        now += 1_000_000_000L; // idle for a second
        l.sent(1000);
        // only BURST_NANOS of the idle second count as credit
        assertEquals(0, l.waitNanos());
        l.sent((BandwidthLimiter.BURST_NANOS / 1000) - 1000);
        assertEquals(0, l.waitNanos(), "a burst worth the allowance goes at once");
        l.sent(1000);
        assertEquals(1_000_000, l.waitNanos(), "then the rate applies again");
    }

    @Test
    void noCapNeverWaits() {
        BandwidthLimiter l = limiter(0);
        l.sent(1 << 30);
        assertEquals(0, l.waitNanos());
    }
}
