package tern.lab.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class StatsLineTest {
    @Test
    void statsLineFieldsAreFound() {
        String line = "{\"type\":\"iteration\",\"iteration\":1,\"phase\":\"bulk\",\"pages_dirty\":524288,"
                + "\"pages_false_dirty\":null,\"payload_bytes\":2147483648,\"bytes_on_wire\":2149000000,\"duration_ms\":7012}";
        assertEquals("bulk", StatsLine.field(line, "phase"));
        assertEquals(2149000000L, StatsLine.longField(line, "bytes_on_wire"));
        assertEquals(7012L, StatsLine.longField(line, "duration_ms"));
        assertNull(StatsLine.longOrNull(line, "pages_false_dirty"));
        assertNull(StatsLine.field(line, "verified"));
        // "iteration" must not match inside "type":"iteration"
        assertEquals("1", StatsLine.field(line, "iteration"));
    }
}
