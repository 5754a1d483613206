package tern.common.units;

/**
 * A rate in bytes per second as the user wrote it ({@code 32MiB}, {@code 32MiB/s}, {@code 0} for
 * none): {@link ByteSize}'s units, with an optional {@code /s}. Keeps the text, so --help shows a
 * default as written.
 */
public record ByteRate(long bytesPerSecond, String text) {
    public static ByteRate parse(String text) {
        String size = text.strip();
        if (size.endsWith("/s")) {
            size = size.substring(0, size.length() - 2);
        }
        return new ByteRate(ByteSize.parse(size), text);
    }

    @Override
    public String toString() {
        return text;
    }
}
