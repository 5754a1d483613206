package tern.sender.source;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The {@code key=value} parts of a {@code --source} spec, each key one of those expected, each with a value. */
public final class SpecOptions {
    private SpecOptions() {
    }

    /**
     * {@code parts[from..]} as keys and values, in order.
     *
     * @throws IllegalArgumentException naming the spec and the part without a value or with an unknown key
     */
    public static Map<String, String> parse(String spec, String[] parts, int from, Set<String> keys) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = from; i < parts.length; i++) {
            String p = parts[i];
            int eq = p.indexOf('=');
            String key = eq < 0 ? p : p.substring(0, eq);
            String value = eq < 0 ? "" : p.substring(eq + 1);
            if (value.isEmpty()) {
                throw new IllegalArgumentException("--source " + spec + ": '" + p + "' needs a value (key=value)");
            }
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("--source " + spec + ": unknown key '" + key + "' (expected "
                        + String.join("= or ", keys) + "=)");
            }
            m.put(key, value);
        }
        return m;
    }
}
