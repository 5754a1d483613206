package tern.lab.bench;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Fields of one line of tern-sender's --stats (a flat JSON object per line). */
final class StatsLine {
    private StatsLine() {
    }

    /** The value of a flat JSON object's field as text (strings without quotes), or null. */
    static String field(String line, String key) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}]*)").matcher(line);
        if (!m.find()) {
            return null;
        }
        return m.group(2) != null ? m.group(2) : m.group(1).trim();
    }

    static long longField(String line, String key) {
        String v = field(line, key);
        if (v == null || v.equals("null")) {
            throw new IllegalStateException("no " + key + " in " + line);
        }
        return Long.parseLong(v);
    }

    static Long longOrNull(String line, String key) {
        String v = field(line, key);
        return v == null || v.equals("null") ? null : Long.parseLong(v);
    }
}
