package org.l2o4j.core.lstm;

import java.util.Objects;
import org.l2o4j.core.optim.Gradients;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/**
 * The learned optimizer of Andrychowicz et al. (2016), "Learning to learn by gradient descent by
 * gradient descent": a coordinatewise LSTM (see {@link LstmConfig} for the math) applied to every
 * coordinate with the shared weights {@link LstmWeights}.
 *
 * <p>State layout ({@code 2 * hidden * layers} floats per coordinate, structure of arrays): row
 * {@code k} of coordinate {@code i} is at {@code data[k * n + i]}; for layer {@code l}, rows {@code
 * l*2H + j} hold {@code h_j} and rows {@code l*2H + H + j} hold {@code c_j}. The fresh state is all
 * zeros.
 *
 * <p>Immutable and thread-safe; the per-coordinate state lives in {@link OptimizerState}.
 */
public final class LstmOptimizer implements UpdateRule {
    /** The shared weights. */
    private final LstmWeights weights;

    /** Policy for NaN/Inf gradients. */
    private final NonFinitePolicy policy;

    /** Worker threads for large steps (>= 1). */
    private final int threads;

    private LstmOptimizer(LstmWeights weights, NonFinitePolicy policy, int threads) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.policy = Objects.requireNonNull(policy, "policy");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1 but was " + threads);
        }
        this.threads = threads;
    }

    /** An optimizer with the given weights, the ERROR policy and all available processors. */
    public static LstmOptimizer of(LstmWeights weights) {
        return new LstmOptimizer(
                weights, NonFinitePolicy.ERROR, Runtime.getRuntime().availableProcessors());
    }

    /** A copy with another non-finite policy. */
    public LstmOptimizer withNonFinitePolicy(NonFinitePolicy p) {
        return new LstmOptimizer(weights, p, threads);
    }

    /** A copy using {@code t} threads for large steps. */
    public LstmOptimizer withThreads(int t) {
        return new LstmOptimizer(weights, policy, t);
    }

    /** The weights. */
    public LstmWeights weights() {
        return weights;
    }

    /** The architecture. */
    public LstmConfig config() {
        return weights.config();
    }

    /** Threads used for large steps. */
    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return "learned";
    }

    @Override
    public int stateSizePerCoordinate() {
        return weights.config().stateSizePerCoordinate();
    }

    @Override
    public NonFinitePolicy nonFinitePolicy() {
        return policy;
    }

    @Override
    public void step(
            OptimizerState state, float[] grad, int gradOffset, float[] update, int updateOffset) {
        boolean anyBad = Gradients.checkStep(this, state, grad, gradOffset, update, updateOffset);
        // TODO(kernel): blocked, multithreaded scalar and Vector API kernels.
        LstmConfig c = weights.config();
        int n = state.size();
        int h = c.hidden();
        float[] p = weights.parameters();
        float[] s = state.data();
        float[] x = new float[Math.max(c.inputFeatures(), h)];
        float[] z = new float[4 * h];
        long skipped = 0;
        float scale = (float) c.outputScale();
        int outW = LstmWeights.outputWeightOffset(c);
        for (int i = 0; i < n; i++) {
            float g = grad[gradOffset + i];
            if (anyBad && !Float.isFinite(g)) {
                update[updateOffset + i] = 0f;
                skipped++;
                continue;
            }
            int in = c.inputFeatures();
            if (c.preprocessing() == Preprocessing.NONE) {
                x[0] = g;
            } else {
                float pp = (float) c.logSignP();
                float ag = Math.abs(g);
                if (ag >= (float) Math.exp(-pp)) {
                    x[0] = (float) Math.log(ag) / pp;
                    x[1] = Math.signum(g);
                } else {
                    x[0] = -1f;
                    x[1] = (float) Math.exp(pp) * g;
                }
            }
            for (int l = 0; l < c.layers(); l++) {
                int wih = LstmWeights.weightIhOffset(c, l);
                int whh = LstmWeights.weightHhOffset(c, l);
                int b = LstmWeights.biasOffset(c, l);
                int hRow = l * 2 * h;
                int cRow = hRow + h;
                for (int r = 0; r < 4 * h; r++) {
                    float acc = p[b + r];
                    for (int k = 0; k < in; k++) {
                        acc += p[wih + r * in + k] * x[k];
                    }
                    for (int k = 0; k < h; k++) {
                        acc += p[whh + r * h + k] * s[(hRow + k) * n + i];
                    }
                    z[r] = acc;
                }
                for (int j = 0; j < h; j++) {
                    float ig = sigmoid(z[j]);
                    float fg = sigmoid(z[h + j]);
                    float gg = (float) Math.tanh(z[2 * h + j]);
                    float og = sigmoid(z[3 * h + j]);
                    float cNew = fg * s[(cRow + j) * n + i] + ig * gg;
                    float hNew = og * (float) Math.tanh(cNew);
                    s[(cRow + j) * n + i] = cNew;
                    s[(hRow + j) * n + i] = hNew;
                    x[j] = hNew;
                }
                in = h;
            }
            float out = p[outW + h];
            for (int j = 0; j < h; j++) {
                out += p[outW + j] * x[j];
            }
            update[updateOffset + i] = scale * out;
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    private static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    @Override
    public String toString() {
        return "LstmOptimizer{" + weights.config() + ", threads=" + threads + "}";
    }
}
