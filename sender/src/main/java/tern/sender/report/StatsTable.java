package tern.sender.report;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import tern.common.stats.IterationStats;
import tern.common.stats.MigrationSummary;
import tern.common.units.ByteSize;

/** The table printed at the end of a migration: one row per iteration, then the summary. */
public final class StatsTable {
    private StatsTable() {
    }

    public static void print(PrintStream out, List<IterationStats> iterations, MigrationSummary s) {
        out.printf(Locale.ROOT, "%4s %-13s %9s %9s %6s %9s %9s %8s %7s %10s %8s%n",
                "iter", "phase", "dirty", "false", "share", "sent", "skipped", "zero", "xbz-hit", "wire", "ms");
        for (IterationStats i : iterations) {
            Double share = i.falseDirtyShare();
            out.printf(Locale.ROOT, "%4d %-13s %9d %9s %6s %9d %9d %8d %7d %10s %8d%n",
                    i.iteration(), i.phase(), i.pagesDirty(),
                    i.pagesFalseDirty() == null ? "unknown" : i.pagesFalseDirty().toString(),
                    share == null ? "-" : String.format(Locale.ROOT, "%.2f", share),
                    i.pagesSent(), i.pagesSkipped(), i.pagesZero(), i.xbzrleHits(),
                    ByteSize.format(i.bytesOnWire()), i.durationMs());
        }
        out.printf(Locale.ROOT, "%s: mode %s%s, digest %s, %s in %d ms over %d iterations (%s)%n",
                s.verified() ? "verified" : "FAILED", s.mode(), s.xbzrle() ? "+xbzrle" : "", s.digest(),
                s.converged() ? "converged" : "not converged", s.totalMs(), s.iterations(), s.source());
        out.printf(Locale.ROOT, "  downtime %s ms, verify %s ms; pages sent %d, skipped %d, false dirty %s, zero %d;%n",
                s.downtimeMs(), s.verifyMs(), s.pagesSent(), s.pagesSkipped(),
                s.pagesFalseDirty() == null ? "unknown" : s.pagesFalseDirty(), s.pagesZero());
        out.printf(Locale.ROOT, "  wire %s (payload %s, oracle %s), acks %s; root %s%n",
                ByteSize.format(s.bytesOnWire()), ByteSize.format(s.payloadBytes()),
                s.oracleBytes() == null ? "unknown" : ByteSize.format(s.oracleBytes()),
                ByteSize.format(s.ackBytes()), s.rootDigest());
        if (s.reconnects() > 0) {
            out.printf(Locale.ROOT, "  resumed after %d lost connections: %d pages resent (%s)%n",
                    s.reconnects(), s.pagesResent(), ByteSize.format(s.pagesResent() * s.pageSize()));
        }
    }
}
