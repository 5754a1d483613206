package tern.common.units;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as users write them, each meaning one thing: a plain number is bytes; {@code KiB MiB GiB
 * TiB} (any case: the {@code i} makes them binary) are 1024^n; {@code kB MB GB TB}, exactly so
 * written, are 1000^n, as SI defines them. Anything else is refused rather than guessed: {@code m}
 * and {@code K} (no unit), {@code mb} and {@code Mb} (millibytes, megabits), {@code KB} (1000 in SI,
 * 1024 in JEDEC) and {@code b} (bits). A fraction is allowed when the result is a whole number of
 * bytes (1.5KiB, not 0.1KiB).
 */
public final class ByteSize {
    /** For --help: the rule in one sentence. */
    public static final String RULE = "SIZE is bytes, or a number with KiB MiB GiB TiB (1024^n) or kB MB GB TB (1000^n);"
            + " m, K, mb, KB and the like are refused as ambiguous";

    private static final Pattern FORM = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*([a-zA-Z]*)\\s*");

    private ByteSize() {
    }

    /** {@code text} in bytes; an {@link IllegalArgumentException} saying why it is not a size. */
    public static long parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (examples: 4096, 64KiB, 32MiB, 1GiB, 10MB)");
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit(m.group(2), text)));
        BigInteger whole;
        try {
            whole = bytes.toBigIntegerExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes (" + bytes.toPlainString() + ")");
        }
        if (whole.bitLength() > 63) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        return whole.longValue();
    }

    private static long unit(String u, String text) {
        switch (u) {
            case "", "B":
                return 1L;
            case "kB":
                return 1_000L;
            case "MB":
                return 1_000_000L;
            case "GB":
                return 1_000_000_000L;
            case "TB":
                return 1_000_000_000_000L;
            default:
                break;
        }
        switch (u.toLowerCase(Locale.ROOT)) {
            case "kib":
                return 1L << 10;
            case "mib":
                return 1L << 20;
            case "gib":
                return 1L << 30;
            case "tib":
                return 1L << 40;
            default:
                break;
        }
        String guess = switch (u.toLowerCase(Locale.ROOT)) {
            case "k", "kb" -> "kB (1000) or KiB (1024)";
            case "m", "mb" -> "MB (10^6) or MiB (2^20)";
            case "g", "gb" -> "GB (10^9) or GiB (2^30)";
            case "t", "tb" -> "TB (10^12) or TiB (2^40)";
            case "b" -> "B (bytes; b would be bits)";
            default -> null;
        };
        if (guess != null) {
            throw new IllegalArgumentException("'" + text + "': unit '" + u + "' is ambiguous; write " + guess);
        }
        throw new IllegalArgumentException("'" + text + "': unknown unit '" + u + "' (use KiB, MiB, GiB, TiB or kB, MB, GB, TB)");
    }

    /** 1536 -> "1.5 KiB". */
    public static String format(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }
}
