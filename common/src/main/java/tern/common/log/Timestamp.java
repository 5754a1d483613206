package tern.common.log;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one time format of Tern's output: ISO-8601 in UTC with milliseconds, always three digits
 * ({@code 2026-12-01T09:51:10.042Z}), so lines sort as text and two hosts' files interleave.
 */
public final class Timestamp {
    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Timestamp() {
    }

    public static String now() {
        return of(Instant.now());
    }

    public static String of(Instant t) {
        return FORMAT.format(t);
    }
}
