package tern.sender.report;

import java.io.PrintStream;
import java.util.Locale;
import tern.common.stats.IterationStats;
import tern.common.units.ByteSize;
import tern.sender.engine.EngineListener;

/** A live status line on a terminal, redrawn at most four times a second; plain lines otherwise. */
public final class ProgressLine implements EngineListener {
    private static final long INTERVAL_NANOS = 250_000_000L;
    private final PrintStream out;
    private final boolean terminal;
    private long lastDraw;
    private String phase = "";

    public ProgressLine(PrintStream out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    @Override
    public void beforePass(int iteration, String phase) {
        this.phase = phase;
    }

    @Override
    public void batchSent(int iteration, long sent, long skipped, long dirty, long wire) {
        long now = System.nanoTime();
        if (!terminal || now - lastDraw < INTERVAL_NANOS) {
            return;
        }
        lastDraw = now;
        out.printf(Locale.ROOT, "\riteration %d (%s): %d/%d pages, %d sent, %d skipped, %s on the wire   ",
                iteration, phase, sent + skipped, dirty, sent, skipped, ByteSize.format(wire));
        out.flush();
    }

    @Override
    public void iterationDone(IterationStats s) {
        if (terminal) {
            out.print("\r\033[K");
        }
        out.printf(Locale.ROOT, "iteration %d (%s): %d dirty, %d sent, %d skipped, %s, %d ms%n",
                s.iteration(), s.phase(), s.pagesDirty(), s.pagesSent(), s.pagesSkipped(),
                ByteSize.format(s.bytesOnWire()), s.durationMs());
    }

    @Override
    public void message(String line) {
        if (terminal) {
            out.print("\r\033[K");
        }
        out.println(line);
    }
}
