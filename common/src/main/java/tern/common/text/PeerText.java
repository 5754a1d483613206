package tern.common.text;

/** Text a peer sent, made safe to print: a log line must not take the peer's newlines or terminal escapes. */
public final class PeerText {
    private PeerText() {
    }

    /**
     * {@code text} with every control character (C0, DEL, C1: newlines, CR, ESC among them) shown
     * as '?', cut to {@code max} characters ("..." marks a cut).
     */
    public static String printable(String text, int max) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), max + 3));
        for (int i = 0; i < text.length() && b.length() < max; i++) {
            char c = text.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        if (text.length() > max) {
            b.append("...");
        }
        return b.toString();
    }
}
