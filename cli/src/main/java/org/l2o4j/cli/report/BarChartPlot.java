package org.l2o4j.cli.report;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

/**
 * A grouped bar chart with error bars (PNG, XChart, headless): categories on the x axis (e.g.
 * hidden units 10..160), one bar per series (optimizer) in each, bar height = mean, error bar = 95%
 * CI half-width. A missing value (NaN, e.g. every run diverged) is drawn as 0 and flagged in the
 * table beside the plot.
 */
public final class BarChartPlot {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private final String title;
    private final String xTitle;
    private final String yTitle;
    private final List<String> categories = new ArrayList<>();
    private final Map<String, double[][]> series = new LinkedHashMap<>();
    private int labelRotation;

    /** A chart with the given title and axis titles (with units). */
    public BarChartPlot(String title, String xTitle, String yTitle) {
        this.title = title;
        this.xTitle = xTitle;
        this.yTitle = yTitle;
    }

    /** Sets the categories, in order. */
    public BarChartPlot categories(List<String> cats) {
        categories.clear();
        categories.addAll(cats);
        return this;
    }

    /**
     * Adds a series: one mean and one error (95% CI half-width) per category.
     *
     * @throws IllegalArgumentException if the lengths differ from the number of categories
     */
    public BarChartPlot series(String name, double[] mean, double[] error) {
        if (mean.length != categories.size() || error.length != categories.size()) {
            throw new IllegalArgumentException(
                    "Series '"
                            + name
                            + "' needs "
                            + categories.size()
                            + " values but has "
                            + mean.length
                            + " means and "
                            + error.length
                            + " errors");
        }
        series.put(name, new double[][] {mean.clone(), error.clone()});
        return this;
    }

    /** Rotates the category labels by {@code degrees} (0..90), for long labels [0]. */
    public BarChartPlot labelRotation(int degrees) {
        if (degrees < 0 || degrees > 90) {
            throw new IllegalArgumentException(
                    "label rotation must be in 0..90 degrees but was " + degrees);
        }
        this.labelRotation = degrees;
        return this;
    }

    /** Writes the PNG. */
    public void write(Path file) throws IOException {
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(900)
                        .height(520)
                        .title(title)
                        .xAxisTitle(xTitle)
                        .yAxisTitle(yTitle)
                        .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setErrorBarsColor(Color.BLACK);
        chart.getStyler().setAvailableSpaceFill(0.8);
        chart.getStyler().setXAxisLabelRotation(labelRotation);
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            double[] m = e.getValue()[0].clone();
            double[] err = e.getValue()[1].clone();
            for (int i = 0; i < m.length; i++) {
                if (!Double.isFinite(m[i])) {
                    m[i] = 0;
                }
                if (!Double.isFinite(err[i])) {
                    err[i] = 0;
                }
            }
            List<Double> ml = new ArrayList<>();
            List<Double> el = new ArrayList<>();
            for (int i = 0; i < m.length; i++) {
                ml.add(m[i]);
                el.add(err[i]);
            }
            CategorySeries s = chart.addSeries(e.getKey(), categories, ml, el);
            s.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Bar);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
