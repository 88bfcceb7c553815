package org.l2o4j.cli.study;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import org.l2o4j.core.eval.Statistics;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/** The step-cost measurement shared by the cost (section 5) and cells (section 8) sections. */
final class StepTimer {
    private StepTimer() {}

    /**
     * Nanoseconds per coordinate of one {@code rule.step} on {@code n} coordinates: warm-up (at
     * least 3 repetitions and {@code costWarmupMillis}), then 5 repetitions of {@code costSteps}
     * steps on fixed random gradients. With {@code threadCpu} the calling thread's CPU time (the
     * rule must then run on the calling thread), else wall-clock time.
     */
    static Statistics.Summary nanosPerCoordinate(
            StudyConfig c, UpdateRule rule, int n, boolean threadCpu) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean cpu = threadCpu && mx.isCurrentThreadCpuTimeSupported();
        SplittableRandom rng = new SplittableRandom(42);
        float[][] grads = new float[4][n];
        for (float[] g : grads) {
            for (int i = 0; i < n; i++) {
                g[i] = (float) (rng.nextGaussian() * 0.01);
            }
        }
        float[] update = new float[n];
        // parameter values for a rule with the param feature (unchanged by the timed steps)
        float[] params = null;
        if (rule.needsParameters()) {
            params = new float[n];
            for (int i = 0; i < n; i++) {
                params[i] = (float) (rng.nextGaussian() * 0.1);
            }
        }
        OptimizerState st = rule.newState(n);
        int steps = Math.max(1, c.costSteps);
        long warmStart = System.nanoTime();
        long warmNanos = c.costWarmupMillis * 1_000_000L;
        for (int w = 0; w < 3 || System.nanoTime() - warmStart < warmNanos; w++) {
            for (int s = 0; s < steps; s++) {
                step(rule, st, params, grads[s % 4], update);
            }
        }
        double[] ns = new double[5];
        for (int r = 0; r < ns.length; r++) {
            long t0 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            for (int s = 0; s < steps; s++) {
                step(rule, st, params, grads[s % 4], update);
            }
            long t1 = cpu ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            ns[r] = (t1 - t0) / (double) steps / n;
        }
        return Statistics.summarize(ns);
    }

    private static void step(
            UpdateRule rule, OptimizerState st, float[] params, float[] grad, float[] update) {
        if (params != null) {
            rule.step(st, params, grad, update);
        } else {
            rule.step(st, grad, update);
        }
    }
}
