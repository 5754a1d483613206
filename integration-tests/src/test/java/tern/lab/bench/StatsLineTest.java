package tern.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class StatsLineTest {
    @Test
    void statsLineFieldsAreFound() {
        StatsLine line = StatsLine.parse("{\"type\":\"iteration\",\"iteration\":1,\"phase\":\"bulk\",\"pages_dirty\":524288,"
                + "\"pages_false_dirty\":null,\"payload_bytes\":2147483648,\"bytes_on_wire\":2149000000,\"duration_ms\":7012}");
        assertEquals("bulk", line.get("phase"));
        assertEquals(2149000000L, line.longField("bytes_on_wire"));
        assertEquals(7012L, line.longField("duration_ms"));
        assertNull(line.longOrNull("pages_false_dirty"));
        assertNull(line.get("verified"));
        assertEquals(1L, line.longField("iteration"));
        assertThrows(IllegalStateException.class, () -> line.longField("verified"));
        assertThrows(IllegalStateException.class, () -> line.longField("phase"));
    }
}
