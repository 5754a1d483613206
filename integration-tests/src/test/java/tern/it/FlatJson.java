package tern.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The few JSON lines the tests read (--stats): flat objects whose values are strings, numbers,
 * booleans or null. Values come back as their text (strings unquoted and unescaped, null as the
 * word null); anything else is rejected, so a malformed line fails the test that reads it.
 */
final class FlatJson {
    private static final Pattern MEMBER = Pattern.compile(
            "\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|true|false|null)\\s*(,|\\})");

    private FlatJson() {
    }

    static Map<String, String> parse(String line) {
        String s = line.strip();
        if (!s.startsWith("{") || !s.endsWith("}")) {
            throw new IllegalArgumentException("not a JSON object: " + line);
        }
        Map<String, String> m = new LinkedHashMap<>();
        if (s.matches("\\{\\s*\\}")) {
            return m;
        }
        Matcher mt = MEMBER.matcher(s);
        int pos = 1;
        while (true) {
            if (!mt.find(pos) || mt.start() != pos) {
                throw new IllegalArgumentException("not a flat JSON object at offset " + pos + ": " + line);
            }
            String key = unescape(mt.group(1));
            String v = mt.group(2);
            if (m.put(key, v.startsWith("\"") ? unescape(v.substring(1, v.length() - 1)) : v) != null) {
                throw new IllegalArgumentException("duplicate key " + key + ": " + line);
            }
            pos = mt.end();
            if (mt.group(3).equals("}")) {
                if (pos != s.length()) {
                    throw new IllegalArgumentException("text after the object: " + line);
                }
                return m;
            }
        }
    }

    static List<Map<String, String>> readLines(Path file) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(parse(line));
            }
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> b.append(e); // \" \\ \/
            }
        }
        return b.toString();
    }
}
