package tern.common.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonParserTest {
    @Test
    void parsesWhatQmpSends() {
        Map<String, Object> m = JsonParser.parseObject(
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
    void decodesEscapesAndLargeNumbers() {
        assertEquals("a\"b\\c/\n\t\u00e9\u20ac", JsonParser.parse("\"a\\\"b\\\\c\\/\\n\\t\\u00e9\\u20AC\""));
        assertEquals(1.8446744073709552E19, JsonParser.parse("18446744073709551615"));
        assertEquals(-0.5e-3, JsonParser.parse("-0.5e-3"));
        assertEquals(0L, JsonParser.parse(" 0 "));
        assertEquals(List.of(), JsonParser.parse("[]"));
        assertEquals(Map.of(), JsonParser.parse("{}"));
    }

    @Test
    void roundTripsWhatJsonWrites() {
        Json j = Json.object().put("execute", "migrate-set-capabilities").put("arguments", Json.object()
                .put("capabilities", List.of(Json.object().put("capability", "x-ignore-shared").put("state", true))));
        Map<String, Object> m = JsonParser.parseObject(j.toString());
        assertEquals("migrate-set-capabilities", m.get("execute"));
        assertEquals(j.toString(), toJson(m).toString());
    }

    @SuppressWarnings("unchecked")
    private static Object toJsonValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            return toJson((Map<String, Object>) m);
        }
        if (v instanceof List<?> l) {
            return l.stream().map(JsonParserTest::toJsonValue).toList();
        }
        return v;
    }

    private static Json toJson(Map<String, Object> m) {
        Json j = Json.object();
        m.forEach((k, v) -> j.put(k, toJsonValue(v)));
        return j;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "01", "1.", "1e", "-", "tru", "nul",
            "\"abc", "\"a\\x\"", "\"\\u12\"", "\"tab\there\"", "{\"a\":1}x", "{\"a\":1,\"a\":2}", "[1 2]", "+1", "'a'"})
    void refusesMalformedTextNamingTheOffset(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonParser.parse(text));
        assertTrue(e.getMessage().startsWith("JSON: ") && e.getMessage().contains("offset"), e.getMessage());
    }

    @Test
    void refusesDeepNestingAndNonObjects() {
        assertThrows(IllegalArgumentException.class, () -> JsonParser.parse("[".repeat(100) + "]".repeat(100)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonParser.parseObject("[1]"));
        assertTrue(e.getMessage().contains("expected an object"));
    }
}
