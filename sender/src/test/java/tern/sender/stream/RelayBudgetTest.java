package tern.sender.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bytes taken from QEMU and not yet on the link stay within 20-50 ms of the link's bandwidth. */
class RelayBudgetTest {
    @ParameterizedTest(name = "{0} MiB/s")
    @ValueSource(ints = {4, 12, 32, 100, 400})
    void theUnsentBudgetIsTwentyToFiftyMillisecondsOfTheLink(int mibPerSecond) {
        long bps = (long) mibPerSecond << 20;
        RelayBudget b = RelayBudget.forBandwidth(bps);
        double ms = 1000.0 * b.unsentBytes() / bps;
        assertTrue(ms <= 50, b + ": " + ms + " ms of the link");
        if (mibPerSecond <= 12) {
            // from ~25 MiB/s on the parts have their largest size, and the budget is a smaller share of the link
            assertTrue(ms >= 20, b + ": " + ms + " ms of the link");
        }
    }

    @Test
    void aSlowLinkGetsTheSmallestPartsThatStillHoldARecord() {
        RelayBudget b = RelayBudget.forBandwidth(64 << 10);
        assertEquals(RelayBudget.MIN_PART, b.readBufferBytes());
        assertEquals(RelayBudget.MIN_PART, b.chunkPayloadBytes());
    }

    @Test
    void withoutACapThePartsAreTheirLargest() {
        RelayBudget b = RelayBudget.forBandwidth(0);
        assertEquals(RelayBudget.MAX_PART, b.readBufferBytes());
        assertEquals(RelayBudget.MAX_PART, b.chunkPayloadBytes());
        assertTrue(b.maxRecords() >= 256);
    }
}
