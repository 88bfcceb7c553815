package org.l2o4j.cli.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.RunResult;

/**
 * Per-step statistics of an optimizer's loss curves over seeds, for plotting: the mean and the 10th
 * and 90th percentiles of the loss after {@code t} steps, over the runs that have not diverged by
 * step {@code t}.
 *
 * @param label the legend label
 * @param steps the step indices (possibly thinned for long horizons)
 * @param mean mean loss at each step
 * @param low 10th percentile at each step
 * @param high 90th percentile at each step
 */
public record LossCurves(String label, double[] steps, double[] mean, double[] low, double[] high) {

    /** Lower percentile of the spread band. */
    public static final double LOW_PERCENTILE = 10;

    /** Upper percentile of the spread band. */
    public static final double HIGH_PERCENTILE = 90;

    /**
     * The curves of one optimizer, with at most {@code maxPoints} steps (evenly thinned, always
     * keeping the first and last step). Steps where every run has diverged are left out.
     */
    public static LossCurves of(String label, OptimizerResult result, int maxPoints) {
        List<RunResult> runs = result.runs();
        int steps = result.steps();
        int stride = Math.max(1, (int) Math.ceil((steps + 1) / (double) Math.max(2, maxPoints)));
        List<double[]> rows = new ArrayList<>();
        for (int t = 0; t <= steps; t = nextStep(t, stride, steps)) {
            final int tt = t;
            double[] v =
                    runs.stream()
                            .mapToDouble(r -> r.lossAt(tt))
                            .filter(Double::isFinite)
                            .sorted()
                            .toArray();
            if (v.length > 0) {
                rows.add(
                        new double[] {
                            t,
                            Arrays.stream(v).average().orElseThrow(),
                            percentile(v, LOW_PERCENTILE),
                            percentile(v, HIGH_PERCENTILE)
                        });
            }
            if (t == steps) {
                break;
            }
        }
        double[][] cols = new double[4][rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            for (int c = 0; c < 4; c++) {
                cols[c][i] = rows.get(i)[c];
            }
        }
        return new LossCurves(label, cols[0], cols[1], cols[2], cols[3]);
    }

    private static int nextStep(int t, int stride, int steps) {
        int n = t + stride;
        return n > steps && t < steps ? steps : n;
    }

    /** Linear-interpolated percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 1) {
            return sorted[0];
        }
        double pos = p / 100 * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        int j = Math.min(i + 1, sorted.length - 1);
        double f = pos - i;
        return sorted[i] * (1 - f) + sorted[j] * f;
    }
}
