package org.l2o4j.cli.demo;

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
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's PNG: per-step minibatch training loss of each run (XChart, headless). */
final class DemoPlot {
    private static final Color[] COLORS = {
        new Color(0x1f, 0x77, 0xb4), new Color(0xd6, 0x27, 0x28)
    };

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private DemoPlot() {}

    static void write(Path file, String title, List<MnistDemo.Run> runs) throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(900)
                        .height(560)
                        .title(title)
                        .xAxisTitle("optimizer step (minibatches of " + MnistDemo.BATCH_SIZE + ")")
                        .yAxisTitle("training minibatch loss (cross-entropy, nats)")
                        .build();
        XYStyler st = chart.getStyler();
        st.setLegendPosition(Styler.LegendPosition.InsideNE);
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotGridLinesVisible(true);
        st.setXAxisDecimalPattern("#");
        st.setAntiAlias(true);
        int k = 0;
        for (MnistDemo.Run r : runs) {
            int n = r.minibatchLoss().length;
            double[] x = new double[n];
            double[] y = new double[n];
            for (int t = 0; t < n; t++) {
                x[t] = t + 1;
                double v = r.minibatchLoss()[t];
                y[t] = Double.isFinite(v) ? v : Double.NaN;
            }
            XYSeries s = chart.addSeries(r.label(), x, y);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setLineColor(COLORS[k++ % COLORS.length]);
            s.setMarker(SeriesMarkers.NONE);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
