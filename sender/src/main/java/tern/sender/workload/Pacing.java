package tern.sender.workload;

/**
 * How fast a synthetic workload stores. {@code wall}: a writer thread at --dirty-rate pages per
 * second of wall-clock time. {@code N/page}: N stores (fractional allowed) right after each page
 * the engine captures, in the engine's thread: the same seed gives the same run every time, so
 * tests depend on no timing.
 */
public record Pacing(boolean wallClock, double storesPerCapture) {
    public static Pacing parse(String spec) {
        if (spec.equals("wall")) {
            return new Pacing(true, 0);
        }
        if (spec.endsWith("/page")) {
            try {
                double n = Double.parseDouble(spec.substring(0, spec.length() - 5));
                if (n >= 0 && n <= 1_000_000) {
                    return new Pacing(false, n);
                }
            } catch (NumberFormatException ignored) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("not a pacing: '" + spec + "' (wall, or N/page such as 2/page or 0.25/page)");
    }

    @Override
    public String toString() {
        return wallClock ? "wall" : storesPerCapture + "/page";
    }
}
