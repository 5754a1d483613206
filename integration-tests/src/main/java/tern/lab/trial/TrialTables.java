package tern.lab.trial;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.common.units.ByteSize;

/** The trial's two tables: each run's iterations, then every run's summary side by side. */
public final class TrialTables {
    private TrialTables() {
    }

    public static void iterations(PrintStream out, TrialRun r) {
        MigrationSummary s = r.summary();
        out.printf(Locale.ROOT, "%s: %s%n", r.variant().label(), r.error() == null
                ? (s.converged() ? "converged" : "not converged (forced stop-and-copy)") + ", verified"
                : "FAILED: " + r.error());
        out.printf(Locale.ROOT, "%4s %-13s %7s %7s %5s %7s %7s %7s %7s %6s %7s %7s %10s %7s%n",
                "iter", "phase", "dirty", "false", "share", "b-read", "silent", "sent", "skipped", "zero",
                "xbz-hit", "xbz-mis", "wire", "ms");
        for (IterationStats i : r.iterations()) {
            out.printf(Locale.ROOT, "%4d %-13s %7d %7s %5s %7s %7s %7d %7d %6d %7d %7d %10s %7d%n",
                    i.iteration(), i.phase(), i.pagesDirty(), count(i.pagesFalseDirty()), share(i.falseDirtyShare()),
                    count(i.falseDirtyBeforeRead()), count(i.falseDirtySilent()), i.pagesSent(), i.pagesSkipped(),
                    i.pagesZero(), i.xbzrleHits(), i.xbzrleMisses(), ByteSize.format(i.bytesOnWire()), i.durationMs());
        }
        out.flush();
    }

    /** One column per run: the figures a reader compares first. */
    public static void summary(PrintStream out, List<TrialRun> runs) {
        row(out, "", runs, r -> r.variant().label());
        row(out, "verified", runs, r -> r.error() == null ? "yes" : "NO");
        row(out, "converged", runs, r -> r.summary().converged() ? "yes" : "no");
        row(out, "iterations", runs, r -> Integer.toString(r.summary().iterations()));
        row(out, "total time", runs, r -> String.format(Locale.ROOT, "%.1f s", r.summary().totalMs() / 1e3));
        row(out, "downtime", runs, r -> r.summary().downtimeMs() == null ? "unknown" : r.summary().downtimeMs() + " ms");
        row(out, "bytes on the wire", runs, r -> ByteSize.format(r.summary().bytesOnWire()));
        row(out, "page payload", runs, r -> ByteSize.format(r.summary().payloadBytes()));
        row(out, "oracle", runs, r -> r.summary().oracleBytes() == null ? "unknown" : ByteSize.format(r.summary().oracleBytes()));
        row(out, "wire / oracle", runs, r -> r.wireOverOracle() == null ? "-"
                : String.format(Locale.ROOT, "%.2f", r.wireOverOracle()));
        row(out, "pages sent", runs, r -> Long.toString(r.summary().pagesSent()));
        row(out, "pages skipped", runs, r -> Long.toString(r.summary().pagesSkipped()));
        row(out, "false dirty", runs, r -> count(r.summary().pagesFalseDirty()));
        row(out, "false share it. 2", runs, r -> shareOf(r, 2));
        row(out, "false share it. 3", runs, r -> shareOf(r, 3));
        row(out, "xbzrle hits", runs, r -> Long.toString(r.summary().xbzrleHits()));
        out.flush();
    }

    private static String shareOf(TrialRun r, int k) {
        IterationStats i = r.iteration(k);
        return i == null ? "-" : share(i.falseDirtyShare());
    }

    private static void row(PrintStream out, String name, List<TrialRun> runs, Function<TrialRun, String> cell) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-18s", name));
        for (TrialRun r : runs) {
            sb.append(String.format(Locale.ROOT, " %17s", cell.apply(r)));
        }
        out.println(sb);
    }

    private static String count(Long n) {
        return n == null ? "?" : n.toString();
    }

    static String share(Double d) {
        return d == null ? "-" : String.format(Locale.ROOT, "%.2f", d);
    }
}
