package tern.common.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tern.common.stats.Json;

class JsonObjectsTest {
    @Test
    void readsWhatQmpSendsInDocumentOrder() {
        Map<String, Object> m = JsonObjects.parse(
                "{\"return\": {\"status\": \"completed\", \"ram\": {\"transferred\": 1234567890123, \"mbps\": 268.5,"
                        + " \"pages\": [1, -2, 0]}, \"ok\": true, \"no\": false, \"none\": null}}\r\n");
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) m.get("return");
        assertEquals("completed", r.get("status"));
        @SuppressWarnings("unchecked")
        Map<String, Object> ram = (Map<String, Object>) r.get("ram");
        assertEquals(1234567890123L, ram.get("transferred"));
        assertEquals(268.5, ram.get("mbps"));
        assertEquals(List.of(1L, -2L, 0L), ram.get("pages"));
        assertEquals(Boolean.TRUE, r.get("ok"));
        assertEquals(Boolean.FALSE, r.get("no"));
        assertTrue(r.containsKey("none"));
        assertNull(r.get("none"));
        assertEquals(List.of("status", "ram", "ok", "no", "none"), List.copyOf(r.keySet()));
    }

    @Test
    void decodesEscapesAndNumbersBeyondLong() {
        Map<String, Object> m = JsonObjects.parse("{\"s\": \"a\\\"b\\\\c\\/\\n\\t\\u00e9\\u20AC\", \"big\": 18446744073709551615,"
                + " \"small\": -0.5e-3, \"zero\": 0, \"list\": [], \"map\": {}}");
        assertEquals("a\"b\\c/\n\t\u00e9\u20ac", m.get("s"));
        assertEquals(1.8446744073709552E19, m.get("big"));
        assertEquals(-0.5e-3, m.get("small"));
        assertEquals(0L, m.get("zero"));
        assertEquals(List.of(), m.get("list"));
        assertEquals(Map.of(), m.get("map"));
    }

    @Test
    void readsBackWhatJsonWrites() {
        Json j = Json.object().put("type", "summary").put("verified", true).put("pages_sent", 4096L).put("share", 0.25)
                .put("error", null).put("capabilities", List.of(Json.object().put("capability", "x-ignore-shared")));
        Map<String, Object> m = JsonObjects.parse(j.toString());
        assertEquals(List.of("type", "verified", "pages_sent", "share", "error", "capabilities"), List.copyOf(m.keySet()));
        assertEquals(true, m.get("verified"));
        assertEquals(4096L, m.get("pages_sent"));
        assertEquals(0.25, m.get("share"));
        assertNull(m.get("error"));
        assertEquals(List.of(Map.of("capability", "x-ignore-shared")), m.get("capabilities"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\" 1}", "{a:1}", "{\"a\":tru}", "{\"a\":\"abc",
            "{\"a\":\"a\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}", "{\"a\":1}x", "{\"a\":1,\"a\":2}",
            "{\"a\":[1 2]}", "{'a':1}", "{\"a\":1} // comment", "[1]", "\"text\"", "null"})
    void refusesWhatIsNotOneStrictObject(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonObjects.parse(text));
        assertTrue(e.getMessage().startsWith("not a JSON object"), e.getMessage());
    }
}
