package org.l2o4j.cli.report;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A log-log line plot of a summary statistic against a numeric variable (e.g. final loss against
 * horizon), one line per optimizer with its 95% confidence interval as a band. Lower ends of the
 * band at or below zero are drawn at the axis floor.
 */
public final class SummaryLinePlot {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private final String title;
    private final String xTitle;
    private final String yTitle;
    private final Map<String, double[][]> series = new LinkedHashMap<>();

    /** A plot with the given title and axis titles (with units). */
    public SummaryLinePlot(String title, String xTitle, String yTitle) {
        this.title = title;
        this.xTitle = xTitle;
        this.yTitle = yTitle;
    }

    /** Adds a line: x values, means and 95% CI half-widths (NaN points are skipped). */
    public SummaryLinePlot series(String name, double[] x, double[] mean, double[] ci) {
        series.put(name, new double[][] {x.clone(), mean.clone(), ci.clone()});
        return this;
    }

    /** Writes the PNG. */
    public void write(Path file) throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(900)
                        .height(520)
                        .title(title)
                        .xAxisTitle(xTitle)
                        .yAxisTitle(yTitle)
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        double floor = Double.POSITIVE_INFINITY;
        for (double[][] s : series.values()) {
            for (double v : s[1]) {
                if (v > 0 && v < floor) {
                    floor = v;
                }
            }
        }
        floor = Double.isInfinite(floor) ? 1e-30 : floor / 10;
        int k = 0;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[][] s = e.getValue();
            int n = 0;
            for (int i = 0; i < s[0].length; i++) {
                if (Double.isFinite(s[1][i]) && s[0][i] > 0) {
                    n++;
                }
            }
            if (n == 0) {
                continue;
            }
            double[] x = new double[n];
            double[] y = new double[n];
            double[] lo = new double[n];
            double[] hi = new double[n];
            int j = 0;
            for (int i = 0; i < s[0].length; i++) {
                if (Double.isFinite(s[1][i]) && s[0][i] > 0) {
                    double ci = Double.isFinite(s[2][i]) ? s[2][i] : 0;
                    x[j] = s[0][i];
                    y[j] = Math.max(floor, s[1][i]);
                    lo[j] = Math.max(floor, s[1][i] - ci);
                    hi[j] = Math.max(floor, s[1][i] + ci);
                    j++;
                }
            }
            double[] px = new double[2 * n];
            double[] py = new double[2 * n];
            for (int i = 0; i < n; i++) {
                px[i] = x[i];
                py[i] = hi[i];
                px[2 * n - 1 - i] = x[i];
                py[2 * n - 1 - i] = lo[i];
            }
            XYSeries band = chart.addSeries(e.getKey() + " 95% CI", px, py);
            band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            band.setMarker(SeriesMarkers.NONE);
            band.setShowInLegend(false);
            XYSeries line = chart.addSeries(e.getKey(), x, y);
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.CIRCLE);
            Color c =
                    chart.getStyler()
                            .getSeriesColors()[k % chart.getStyler().getSeriesColors().length];
            line.setLineColor(c);
            line.setMarkerColor(c);
            band.setFillColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
            band.setLineColor(new Color(0, 0, 0, 0));
            k++;
        }
        if (k == 0) {
            throw new IOException("No finite values to plot for '" + title + "'");
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
