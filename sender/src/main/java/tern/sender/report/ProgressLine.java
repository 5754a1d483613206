package tern.sender.report;

import java.io.PrintStream;
import java.util.Locale;
import tern.common.stats.IterationStats;
import tern.common.units.ByteSize;
import tern.sender.engine.EngineListener;

/**
 * A live status line on a terminal, redrawn at most four times a second; plain lines otherwise.
 * Synchronized: the sender's shutdown hook ends the line from another thread ({@link #endLine}).
 */
public final class ProgressLine implements EngineListener {
    private static final long INTERVAL_NANOS = 250_000_000L;
    private final PrintStream out;
    private final boolean terminal;
    private long lastDraw;
    private String phase = "";
    /** A status line is on the terminal, not ended by a newline. */
    private boolean drawn;

    public ProgressLine(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public synchronized void beforePass(int iteration, String phase) {
        this.phase = phase;
    }

    @Override
    public synchronized void batchSent(int iteration, long sent, long skipped, long dirty, long wire) {
        long now = System.nanoTime();
        if (!terminal || now - lastDraw < INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        drawn = true;
        out.printf(Locale.ROOT, "\riteration %d (%s): %d/%d pages, %d sent, %d skipped, %s on the wire   ",
                iteration, phase, sent + skipped, dirty, sent, skipped, ByteSize.format(wire));
        out.flush();
    }

    @Override
    public synchronized void iterationDone(IterationStats s) {
        clear();
        out.printf(Locale.ROOT, "iteration %d (%s): %d dirty, %d sent, %d skipped, %s, %d ms%n",
                s.iteration(), s.phase(), s.pagesDirty(), s.pagesSent(), s.pagesSkipped(),
                ByteSize.format(s.bytesOnWire()), s.durationMs());
    }

    @Override
    public synchronized void message(String line) {
        clear();
        out.println(line);
    }

    /** Ends a status line on the terminal, so that what is printed next starts a line of its own. */
    public synchronized void endLine() {
        clear();
        out.flush();
    }

    private void clear() {
        if (drawn) {
            out.print("\r\033[K");
            drawn = false;
        }
    }
}
