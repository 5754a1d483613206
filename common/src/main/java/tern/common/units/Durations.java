package tern.common.units;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them: 300ms, 2s, 1.5s, 5m, 1h. */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)\\s*");

    private Durations() {
    }

    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 300ms, 2s, 5m)");
        }
        double v = Double.parseDouble(m.group(1));
        double ms = switch (m.group(2)) {
            case "ms" -> v;
            case "s" -> v * 1_000;
            case "m" -> v * 60_000;
            default -> v * 3_600_000;
        };
        return Duration.ofNanos((long) (ms * 1_000_000));
    }

    /** The inverse of {@link #parse} for messages: whole milliseconds or seconds as written ("300ms", "60s"). */
    public static String format(Duration d) {
        long ms = d.toMillis();
        return ms % 1_000 == 0 ? ms / 1_000 + "s" : ms + "ms";
    }
}
