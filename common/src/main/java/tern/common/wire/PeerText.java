package tern.common.wire;

/**
 * Text a peer chose (a migration id, a certificate's subject) on its way to a log line or a
 * terminal: control and format characters (newlines, CR, ANSI escapes, bidi overrides) would let
 * the peer forge log lines or drive the operator's terminal, so they are found here and, where the
 * text must be shown anyway, written as {@code \}{@code uXXXX}.
 */
public final class PeerText {
    private PeerText() {
    }

    /** The index of the first character a log line must not carry raw, or -1 when there is none. */
    public static int firstControl(CharSequence s) {
        for (int i = 0; i < s.length(); i++) {
            if (isControl(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** {@code s} with every such character escaped, its first {@code max} characters only (then "..."); "null" for null. */
    public static String clean(CharSequence s, int max) {
        if (s == null) {
            return "null";
        }
        int n = Math.min(s.length(), max);
        StringBuilder b = new StringBuilder(n + 8);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (isControl(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return n < s.length() ? b.append("...").toString() : b.toString();
    }

    /** {@link #clean(CharSequence, int)} without a length limit. */
    public static String clean(CharSequence s) {
        return clean(s, Integer.MAX_VALUE);
    }

    /**
     * C0 and C1 controls (U+0000-001F, U+007F-009F), format characters (bidi overrides, zero-width
     * characters, U+FEFF), and line and paragraph separators. Protobuf refuses strings that are not
     * valid UTF-8, so a peer's string holds no lone surrogate.
     */
    static boolean isControl(char c) {
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }
}
