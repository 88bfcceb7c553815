package org.l2o4j.cli.report;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Renders loss curves to PNG with XChart, headless: for each optimizer the mean loss over seeds as
 * a line and the 10th-90th percentile band, on a log-scale loss axis.
 *
 * <p>A log axis cannot show zero or negative values, so values below {@code floor} (the smallest
 * positive value in the data divided by 10, or 1e-30) are drawn at the floor; the report says so.
 */
public final class LossCurvePlot {
    private static final Color[] PALETTE = {
        new Color(0xd6, 0x27, 0x28),
        new Color(0x1f, 0x77, 0xb4),
        new Color(0x2c, 0xa0, 0x2c),
        new Color(0xff, 0x7f, 0x0e),
        new Color(0x94, 0x67, 0xbd),
        new Color(0x8c, 0x56, 0x4b),
        new Color(0xe3, 0x77, 0xc2),
        new Color(0x7f, 0x7f, 0x7f),
        new Color(0xbc, 0xbd, 0x22),
        new Color(0x17, 0xbe, 0xcf)
    };

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private LossCurvePlot() {}

    /**
     * Writes the PNG.
     *
     * @param file the output file (".png" is not appended)
     * @param title the chart title
     * @param yTitle the loss axis title with its unit, e.g. "training loss (cross-entropy, nats)"
     * @param curves one entry per optimizer
     */
    public static void write(Path file, String title, String yTitle, List<LossCurves> curves)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(900)
                        .height(560)
                        .title(title)
                        .xAxisTitle("optimizer step (iterations)")
                        .yAxisTitle(yTitle)
                        .build();
        Styler st = chart.getStyler();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesVisible(true);
        chart.getStyler().setXAxisDecimalPattern("#");
        st.setAntiAlias(true);
        double floor = floor(curves);
        int k = 0;
        for (LossCurves c : curves) {
            if (c.steps().length == 0) {
                continue;
            }
            Color color = PALETTE[k++ % PALETTE.length];
            int n = c.steps().length;
            double[] px = new double[2 * n];
            double[] py = new double[2 * n];
            for (int i = 0; i < n; i++) {
                px[i] = c.steps()[i];
                py[i] = Math.max(floor, c.high()[i]);
                px[2 * n - 1 - i] = c.steps()[i];
                py[2 * n - 1 - i] = Math.max(floor, c.low()[i]);
            }
            XYSeries band = chart.addSeries(c.label() + " (10-90th pct)", px, py);
            band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            band.setFillColor(new Color(color.getRed(), color.getGreen(), color.getBlue(), 50));
            band.setLineColor(new Color(0, 0, 0, 0));
            band.setMarker(SeriesMarkers.NONE);
            band.setShowInLegend(false);
            double[] my = new double[n];
            for (int i = 0; i < n; i++) {
                my[i] = Math.max(floor, c.mean()[i]);
            }
            XYSeries line = chart.addSeries(c.label(), c.steps(), my);
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setLineColor(color);
            line.setMarker(SeriesMarkers.NONE);
        }
        if (k == 0) {
            throw new IOException("No finite losses to plot for '" + title + "'");
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** The smallest value drawn on the log axis. */
    static double floor(List<LossCurves> curves) {
        double min = Double.POSITIVE_INFINITY;
        for (LossCurves c : curves) {
            for (double[] a : new double[][] {c.mean(), c.low(), c.high()}) {
                for (double v : a) {
                    if (v > 0 && v < min) {
                        min = v;
                    }
                }
            }
        }
        return Double.isInfinite(min) ? 1e-30 : Math.max(min / 10, 1e-300);
    }
}
