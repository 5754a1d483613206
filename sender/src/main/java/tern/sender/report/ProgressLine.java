package tern.sender.report;

import java.io.PrintStream;
import java.util.Locale;
import tern.common.stats.IterationStats;
import tern.common.units.ByteSize;
import tern.sender.engine.EngineListener;

/**
 * The report on stdout as the migration goes: a line per iteration and the engine's messages;
 * with {@code --progress line}, a status line too, redrawn at most four times a second on a
 * terminal, or printed once a second as a line of its own elsewhere. Synchronized: the sender's
 * shutdown hook ends the line from another thread ({@link #endLine}).
 */
final class ProgressLine implements EngineListener {
    private final PrintStream out;
    private final boolean terminal;
    private final boolean status;
    private final long intervalNanos;
    private long lastDraw;
    private boolean drawn;
    private String phase = "";

    /**
     * @param terminal stdout is a terminal: the status line is redrawn in place
     * @param status   draw the status line (--progress line)
     */
    ProgressLine(PrintStream out, boolean terminal, boolean status) {
        this.out = out;
        this.terminal = terminal;
        this.status = status;
        this.intervalNanos = terminal ? 250_000_000L : 1_000_000_000L;
    }

    @Override
    public void beforePass(int iteration, String phase) {
        this.phase = phase;
    }

    @Override
    public synchronized void batchSent(int iteration, long sent, long skipped, long dirty, long wire) {
        long now = System.nanoTime();
        if (!status || now - lastDraw < intervalNanos) {
            return;
        }
        lastDraw = now;
        String line = String.format(Locale.ROOT, "iteration %d (%s): %d/%d pages, %d sent, %d skipped, %s on the wire",
                iteration, phase, sent + skipped, dirty, sent, skipped, ByteSize.format(wire));
        if (terminal) {
            out.print("\r" + line + "   ");
            drawn = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public synchronized void iterationDone(IterationStats s) {
        clear();
        out.printf(Locale.ROOT, "iteration %d (%s): %d dirty, %d sent, %d skipped, %s, %d ms%s%n",
                s.iteration(), s.phase(), s.pagesDirty(), s.pagesSent(), s.pagesSkipped(),
                ByteSize.format(s.bytesOnWire()), s.durationMs(), s.finished() ? "" : " (unfinished)");
    }

    @Override
    public synchronized void message(String line) {
        clear();
        out.println(line);
    }

    /** Ends a status line on the terminal, so that what is printed next starts a line of its own. */
    synchronized void endLine() {
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
