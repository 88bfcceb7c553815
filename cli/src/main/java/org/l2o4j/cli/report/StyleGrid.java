package org.l2o4j.cli.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.RgbImage;
import org.l2o4j.core.task.StyleTask;

/**
 * The style-transfer picture of one task: the content and style images, then for each optimizer
 * (one row each) the image after 0, 32, 64, 128 steps (those within the run) and after the last
 * step, with the loss under each image. PNG, drawn with Java2D (headless).
 *
 * <p>Each optimizer is replayed on the task exactly as {@code Evaluator.run} runs it (float
 * gradients, fresh state, update added to the parameters), so the losses under the images are the
 * losses of the evaluation's curves at those steps.
 */
public final class StyleGrid {

    /** The steps shown when the run is long enough. */
    public static final int[] DEFAULT_STEPS = {0, 32, 64, 128};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private static final int CELL = 128;
    private static final int PAD = 8;
    private static final int LABEL_W = 170;
    private static final int TEXT_H = 34;
    private static final int TITLE_H = 30;

    private StyleGrid() {}

    /** An optimizer to show: a row label (e.g. "adam (lr 0.03)") and its update rule. */
    public record Row(String label, UpdateRule rule) {}

    /** One optimizer's snapshots: the step, the image (null after divergence) and the loss. */
    public record Snapshots(String label, int[] steps, double[][] images, double[] losses) {}

    /**
     * The steps shown for a run of {@code steps} steps: those of {@link #DEFAULT_STEPS} within it,
     * and {@code steps} itself.
     */
    public static int[] snapshotSteps(int steps) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int t : DEFAULT_STEPS) {
            if (t <= steps) {
                s.add(t);
            }
        }
        s.add(steps);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Runs {@code rule} on {@code task} for {@code max(steps)} steps, keeping the snapshots. */
    public static Snapshots replay(String label, UpdateRule rule, StyleTask task, int[] steps) {
        int n = task.dimension();
        int last = Arrays.stream(steps).max().orElse(0);
        double[] theta = task.initialParameters();
        double[] gradD = new double[n];
        float[] grad = new float[n];
        float[] update = new float[n];
        float[] params = new float[n];
        OptimizerState state = rule.newState(n);
        double[][] images = new double[steps.length][];
        double[] losses = new double[steps.length];
        Arrays.fill(losses, Double.NaN);
        int k = 0;
        for (int t = 0; t <= last; t++) {
            double loss = t < last ? task.lossAndGradient(theta, t, gradD) : task.loss(theta, t);
            if (k < steps.length && steps[k] == t) {
                images[k] = Double.isFinite(loss) ? theta.clone() : null;
                losses[k] = loss;
                k++;
            }
            if (!Double.isFinite(loss) || t == last) {
                break;
            }
            for (int i = 0; i < n; i++) {
                grad[i] = (float) gradD[i];
                params[i] = (float) theta[i];
            }
            try {
                rule.step(state, params, grad, update);
            } catch (NonFiniteGradientException e) {
                break;
            }
            for (int i = 0; i < n; i++) {
                theta[i] += update[i];
            }
        }
        return new Snapshots(label, steps.clone(), images, losses);
    }

    /**
     * Replays every row on {@code task} and writes the grid to {@code file}.
     *
     * @param title the line above the grid (e.g. the task and seed)
     * @return the snapshots, one per row
     */
    public static List<Snapshots> write(
            Path file, String title, StyleTask task, List<Row> rows, int runSteps)
            throws IOException {
        int[] steps = snapshotSteps(runSteps);
        List<Snapshots> all = new ArrayList<>();
        for (Row r : rows) {
            all.add(replay(r.label(), r.rule(), task, steps));
        }
        RgbImage.writePng(render(title, task, all), file);
        return all;
    }

    /** Draws the grid. */
    public static BufferedImage render(String title, StyleTask task, List<Snapshots> rows) {
        int cols = 2 + (rows.isEmpty() ? 0 : rows.get(0).steps().length);
        int width = LABEL_W + cols * (CELL + PAD) + PAD;
        int rowH = CELL + TEXT_H + PAD;
        int height = TITLE_H + PAD + Math.max(1, rows.size()) * rowH + PAD;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(
                    RenderingHints.KEY_INTERPOLATION,
                    RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(fit(g, title, width - 2 * PAD), PAD, 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int side = task.side();
            for (int r = 0; r < Math.max(1, rows.size()); r++) {
                int y = TITLE_H + PAD + r * rowH;
                Snapshots s = rows.isEmpty() ? null : rows.get(r);
                if (s != null) {
                    g.setColor(Color.BLACK);
                    g.drawString(fit(g, s.label(), LABEL_W - PAD), PAD, y + CELL / 2);
                }
                if (r == 0) {
                    cell(
                            g,
                            task.contentImage().toBufferedImage(),
                            0,
                            y,
                            "content",
                            task.contentName());
                    cell(g, task.styleImage().toBufferedImage(), 1, y, "style", task.styleName());
                }
                if (s == null) {
                    continue;
                }
                for (int k = 0; k < s.steps().length; k++) {
                    double[] im = s.images()[k];
                    String loss =
                            Double.isNaN(s.losses()[k]) || im == null
                                    ? "diverged"
                                    : String.format(Locale.ROOT, "loss %.4g", s.losses()[k]);
                    cell(
                            g,
                            im == null ? null : RgbImage.toBufferedImage(im, side, side),
                            2 + k,
                            y,
                            "step " + s.steps()[k],
                            loss);
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void cell(
            Graphics2D g, BufferedImage im, int col, int y, String line1, String line2) {
        int x = LABEL_W + PAD + col * (CELL + PAD);
        if (im != null) {
            g.drawImage(im, x, y, CELL, CELL, null);
        } else {
            g.setColor(new Color(0xee, 0xee, 0xee));
            g.fillRect(x, y, CELL, CELL);
        }
        g.setColor(Color.GRAY);
        g.drawRect(x - 1, y - 1, CELL + 1, CELL + 1);
        g.setColor(Color.BLACK);
        g.drawString(fit(g, line1, CELL), x, y + CELL + 14);
        g.drawString(fit(g, line2, CELL), x, y + CELL + 28);
    }

    private static String fit(Graphics2D g, String s, int width) {
        FontMetrics fm = g.getFontMetrics();
        if (fm.stringWidth(s) <= width) {
            return s;
        }
        String t = s;
        while (t.length() > 1 && fm.stringWidth(t + "...") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "...";
    }
}
