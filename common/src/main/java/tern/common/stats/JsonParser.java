package tern.common.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON parser (RFC 8259) for what Tern reads: QMP replies and events. Objects become
 * {@code Map<String, Object>} in document order, arrays {@code List<Object>}, numbers {@code Long}
 * when integral and in range else {@code Double}, {@code true}/{@code false} Boolean, null null.
 * Anything else — trailing text, a duplicate key, a bare control character, a bad escape — is an
 * {@link IllegalArgumentException} naming the offset. Writing stays {@link Json}'s job.
 */
public final class JsonParser {
    private static final int MAX_DEPTH = 64;
    private final String s;
    private int i;

    private JsonParser(String s) {
        this.s = s;
    }

    public static Object parse(String text) {
        JsonParser p = new JsonParser(text);
        p.space();
        Object v = p.value(0);
        p.space();
        if (p.i != text.length()) {
            throw p.error("trailing text");
        }
        return v;
    }

    /** Parses text that must be a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("JSON: expected an object, got " + text);
        }
        return (Map<String, Object>) v;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested deeper than " + MAX_DEPTH);
        }
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        char c = s.charAt(i);
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                return word("true", Boolean.TRUE);
            case 'f':
                return word("false", Boolean.FALSE);
            case 'n':
                return word("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw error("unexpected '" + c + "'");
        }
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        space();
        if (peek() == '}') {
            i++;
            return m;
        }
        while (true) {
            space();
            if (peek() != '"') {
                throw error("expected a member name");
            }
            int at = i;
            String key = string();
            space();
            expect(':');
            space();
            Object v = value(depth + 1);
            if (m.containsKey(key)) {
                i = at;
                throw error("duplicate key \"" + key + "\"");
            }
            m.put(key, v);
            space();
            char c = next();
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                i--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        List<Object> list = new ArrayList<>();
        i++;
        space();
        if (peek() == ']') {
            i++;
            return list;
        }
        while (true) {
            space();
            list.add(value(depth + 1));
            space();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                i--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() {
        i++; // the opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length()) {
                throw error("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                i--;
                throw error("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw error("short \\u escape");
                    }
                    int cp = 0;
                    for (int k = 0; k < 4; k++) {
                        int d = Character.digit(s.charAt(i + k), 16);
                        if (d < 0) {
                            throw error("bad \\u escape");
                        }
                        cp = cp * 16 + d;
                    }
                    i += 4;
                    sb.append((char) cp);
                }
                default -> {
                    i--;
                    throw error("bad escape '\\" + e + "'");
                }
            }
        }
    }

    private Object number() {
        int start = i;
        if (peek() == '-') {
            i++;
        }
        if (peek() == '0') {
            i++;
        } else if (digit()) {
            while (digit()) {
                i++;
            }
        } else {
            throw error("bad number");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            i++;
            if (!digit()) {
                throw error("bad number: no digit after '.'");
            }
            while (digit()) {
                i++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            i++;
            if (peek() == '+' || peek() == '-') {
                i++;
            }
            if (!digit()) {
                throw error("bad number: no digit in exponent");
            }
            while (digit()) {
                i++;
            }
        }
        String text = s.substring(start, i);
        if (integral) {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException tooLarge) {
                // an integer beyond 64 bits (QMP sends uint64 values) is still a number
            }
        }
        return Double.parseDouble(text);
    }

    private Object word(String w, Object v) {
        if (!s.startsWith(w, i)) {
            throw error("unexpected '" + s.charAt(i) + "'");
        }
        i += w.length();
        return v;
    }

    private boolean digit() {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private char next() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i++);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        i++;
    }

    private void space() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            i++;
        }
    }

    private IllegalArgumentException error(String what) {
        String near = s.substring(Math.max(0, i - 20), Math.min(s.length(), i + 20));
        return new IllegalArgumentException("JSON: " + what + " at offset " + i + " (near \"" + near + "\")");
    }
}
