package tern.lab.trial;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.CombinedDomainCategoryPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;
import tern.common.stats.IterationStats;
import tern.common.units.ByteSize;

/**
 * One PNG per trial, two panels over the same iterations: MiB on the wire per iteration and
 * run (bars), and the false-dirty share per iteration and run (lines). Drawn headless.
 */
public final class TrialChart {
    /** One colour per run, in --runs order; sync-clear warm, digest cool, XBZRLE variants lighter. */
    private static final Color[] COLOURS = {new Color(0xC0392B), new Color(0xE67E22), new Color(0x2471A3),
            new Color(0xF1948A), new Color(0x7FB3D5), new Color(0x27AE60), new Color(0x8E44AD)};

    private TrialChart() {
    }

    public static void write(Path png, String title, List<TrialRun> runs) throws IOException {
        System.setProperty("java.awt.headless", "true");
        DefaultCategoryDataset bytes = new DefaultCategoryDataset();
        DefaultCategoryDataset share = new DefaultCategoryDataset();
        int most = runs.stream().mapToInt(r -> r.iterations().size()).max().orElse(0);
        for (TrialRun r : runs) {
            String label = legend(r);
            for (int k = 1; k <= most; k++) {
                IterationStats s = r.iteration(k);
                String it = Integer.toString(k);
                bytes.addValue(s == null ? null : s.bytesOnWire() / (double) (1 << 20), label, it);
                Double sh = s == null || k == 1 ? null : s.falseDirtyShare();
                share.addValue(sh, label, it);
            }
        }
        CategoryAxis iterations = new CategoryAxis("iteration (the last of each run is its stop-and-copy)");
        iterations.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);

        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setItemMargin(0.02);
        CategoryPlot top = new CategoryPlot(bytes, null, new NumberAxis("MiB on the wire"), bars);

        LineAndShapeRenderer lines = new LineAndShapeRenderer(true, true);
        NumberAxis shareAxis = new NumberAxis("false-dirty share");
        shareAxis.setRange(0, 1);
        CategoryPlot bottom = new CategoryPlot(share, null, shareAxis, lines);
        for (int i = 0; i < runs.size(); i++) {
            Color c = COLOURS[i % COLOURS.length];
            bars.setSeriesPaint(i, c);
            lines.setSeriesPaint(i, c);
            lines.setSeriesStroke(i, new BasicStroke(2f));
            lines.setSeriesVisibleInLegend(i, false); // bars and lines share colours: one legend
        }

        CombinedDomainCategoryPlot plot = new CombinedDomainCategoryPlot(iterations);
        plot.add(top, 3);
        plot.add(bottom, 2);
        plot.setGap(12);
        JFreeChart chart = new JFreeChart(title, new Font("SansSerif", Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        for (CategoryPlot p : List.of(top, bottom)) {
            p.setBackgroundPaint(Color.WHITE);
            p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        }
        ChartUtils.saveChartAsPNG(png.toFile(), chart, Math.min(1400, Math.max(900, 12 * most * runs.size() + 200)), 680);
    }

    /** The answer at a glance, in the legend: "sync-clear: not converged, 1.6 GiB in 53.3 s". */
    private static String legend(TrialRun r) {
        return r.variant().label() + ": "
                + (r.error() != null ? "FAILED" : r.summary().converged() ? "converged" : "not converged")
                + ", " + ByteSize.format(r.summary().bytesOnWire())
                + String.format(Locale.ROOT, " in %.1f s", r.summary().totalMs() / 1e3);
    }
}
