package org.l2o4j.core.eval;

import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

/**
 * Test family: {@code f(x) = a * sum_i (x_i - noise_t)^2} in {@code dim} dimensions, with an
 * initial point that is exactly representable in float ({@code x_i = 1 + (seed + i) % 5}). With
 * {@code noise = 0} the minimum 0 is at the origin and SGD with {@code lr = 1/(2a)} reaches it in
 * one step.
 */
public class ScalarQuadraticFamily implements TaskFamily {
    private final double a;
    private final int dim;
    private final double noise;

    public ScalarQuadraticFamily(double a, int dim, double noise) {
        this.a = a;
        this.dim = dim;
        this.noise = noise;
    }

    @Override
    public String name() {
        return "scalar-quadratic(a=" + a + ")";
    }

    @Override
    public Task sample(long seed) {
        return new Task() {
            @Override
            public String name() {
                return "scalar-quadratic(seed=" + seed + ")";
            }

            @Override
            public int dimension() {
                return dim;
            }

            @Override
            public double[] initialParameters() {
                double[] x = new double[dim];
                for (int i = 0; i < dim; i++) {
                    x[i] = 1 + Math.floorMod(seed + i, 5);
                }
                return x;
            }

            @Override
            public double lossAndGradient(double[] theta, long t, double[] gradOut) {
                Task.checkLength("theta", theta, dim);
                // A deterministic "minibatch" shift per (seed, t).
                double shift = noise * Math.sin(seed * 31.0 + t * 7.0);
                double loss = 0;
                for (int i = 0; i < dim; i++) {
                    double d = theta[i] - shift;
                    loss += a * d * d;
                    gradOut[i] = 2 * a * d;
                }
                return loss;
            }
        };
    }
}
