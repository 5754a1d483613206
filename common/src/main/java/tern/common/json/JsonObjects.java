package tern.common.json;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.ToNumberPolicy;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading JSON objects (QMP replies and events, --stats lines) with Gson, strictly (RFC 8259:
 * no comments, no unquoted names, nothing after the object, no duplicate names). Objects become
 * {@code Map<String, Object>} in document order, arrays {@code List<Object>}, numbers {@code Long}
 * when integral and in range else {@code Double}, true/false Boolean, null null. Writing stays
 * {@code tern.common.stats.Json}'s job: it keeps Tern's key order and number format.
 */
public final class JsonObjects {
    private static final Gson GSON = new GsonBuilder()
            .setStrictness(Strictness.STRICT)
            .setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE)
            .serializeNulls()
            .create();
    private static final Type OBJECT = new TypeToken<Map<String, Object>>() { }.getType();

    private JsonObjects() {
    }

    /**
     * The object {@code text} holds.
     *
     * @throws IllegalArgumentException when it is not one JSON object, saying where
     */
    public static Map<String, Object> parse(String text) {
        Map<String, Object> m;
        try {
            m = GSON.fromJson(text, OBJECT);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("not a JSON object (" + e.getMessage() + "): " + text, e);
        }
        if (m == null) {
            throw new IllegalArgumentException("not a JSON object: '" + text + "'");
        }
        return m;
    }

    /** The objects of a JSON-lines file such as --stats writes, one per line; blank lines are skipped. */
    public static List<Map<String, Object>> readLines(Path file) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                out.add(parse(line));
            }
        }
        return out;
    }
}
