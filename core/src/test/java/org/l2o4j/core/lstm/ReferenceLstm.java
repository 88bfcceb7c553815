package org.l2o4j.core.lstm;

/**
 * A plain, obviously correct implementation of the LSTM optimizer step, in double precision, one
 * coordinate at a time, straight from the formulas in {@link LstmConfig}: the oracle for the fast
 * kernels. State layout as {@link LstmOptimizer}: {@code state[k * n + i]}.
 */
public final class ReferenceLstm {
    private final LstmConfig c;
    private final float[] p;
    private final ZeroGradientPolicy zeroPolicy;

    /** The reference of {@link LstmOptimizer#of}'s default ({@link ZeroGradientPolicy#FREEZE}). */
    public ReferenceLstm(LstmWeights weights) {
        this(weights, ZeroGradientPolicy.FREEZE);
    }

    public ReferenceLstm(LstmWeights weights, ZeroGradientPolicy zeroPolicy) {
        this.c = weights.config();
        this.p = weights.parameters();
        this.zeroPolicy = zeroPolicy;
    }

    /**
     * One step for all coordinates; {@code state} (doubles, n * 2HL) is updated in place. Under
     * {@link ZeroGradientPolicy#FREEZE} a coordinate whose gradient is {@code +-0.0} gets update 0
     * and keeps its state.
     */
    public void step(double[] state, float[] grad, double[] update) {
        int n = grad.length;
        for (int i = 0; i < n; i++) {
            if (zeroPolicy == ZeroGradientPolicy.FREEZE && grad[i] == 0f) {
                update[i] = 0;
                continue;
            }
            update[i] = stepCoordinate(state, n, i, grad[i]);
        }
    }

    private double stepCoordinate(double[] s, int n, int i, double g) {
        int h = c.hidden();
        double[] x;
        if (c.preprocessing() == Preprocessing.NONE) {
            x = new double[] {g};
        } else {
            double pp = c.logSignP();
            if (Math.abs(g) >= Math.exp(-pp)) {
                x = new double[] {Math.log(Math.abs(g)) / pp, Math.signum(g)};
            } else {
                x = new double[] {-1, Math.exp(pp) * g};
            }
        }
        for (int l = 0; l < c.layers(); l++) {
            int in = c.layerInputSize(l);
            int wih = LstmWeights.weightIhOffset(c, l);
            int whh = LstmWeights.weightHhOffset(c, l);
            int b = LstmWeights.biasOffset(c, l);
            double[] hOld = new double[h];
            double[] cOld = new double[h];
            for (int j = 0; j < h; j++) {
                hOld[j] = s[(l * 2 * h + j) * n + i];
                cOld[j] = s[(l * 2 * h + h + j) * n + i];
            }
            double[] z = new double[4 * h];
            for (int r = 0; r < 4 * h; r++) {
                double acc = p[b + r];
                for (int k = 0; k < in; k++) {
                    acc += p[wih + r * in + k] * x[k];
                }
                for (int k = 0; k < h; k++) {
                    acc += p[whh + r * h + k] * hOld[k];
                }
                z[r] = acc;
            }
            double[] hNew = new double[h];
            for (int j = 0; j < h; j++) {
                double ig = sigmoid(z[j]);
                double fg = sigmoid(z[h + j]);
                double gg = Math.tanh(z[2 * h + j]);
                double og = sigmoid(z[3 * h + j]);
                double cNew = fg * cOld[j] + ig * gg;
                hNew[j] = og * Math.tanh(cNew);
                s[(l * 2 * h + h + j) * n + i] = cNew;
                s[(l * 2 * h + j) * n + i] = hNew[j];
            }
            x = hNew;
        }
        int out = LstmWeights.outputWeightOffset(c);
        double o = p[out + h];
        for (int j = 0; j < h; j++) {
            o += p[out + j] * x[j];
        }
        return c.outputScale() * o;
    }

    private static double sigmoid(double v) {
        return 1.0 / (1.0 + Math.exp(-v));
    }
}
