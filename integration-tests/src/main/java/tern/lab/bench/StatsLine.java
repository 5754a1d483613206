package tern.lab.bench;

import java.util.Map;
import tern.common.json.JsonObjects;

/** One line of tern-sender's --stats (a flat JSON object per line), with typed access to its fields. */
record StatsLine(String text, Map<String, Object> fields) {
    static StatsLine parse(String line) {
        return new StatsLine(line, JsonObjects.parse(line));
    }

    /** A field's value (String, Long, Double, Boolean), or null when absent or null. */
    Object get(String key) {
        return fields.get(key);
    }

    long longField(String key) {
        Long v = longOrNull(key);
        if (v == null) {
            throw new IllegalStateException("no " + key + " in " + text);
        }
        return v;
    }

    Long longOrNull(String key) {
        Object v = fields.get(key);
        if (v != null && !(v instanceof Long)) {
            throw new IllegalStateException(key + " is not a whole number in " + text);
        }
        return (Long) v;
    }

    @Override
    public String toString() {
        return text;
    }
}
