package org.l2o4j.core.meta;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;

/** Scratch probe (not a test): per-core forward rates. */
public final class FwdProbe {
    public static void main(String[] a) {
        int n = 15910;
        LstmConfig c = LstmConfig.paperDefaults();
        TrainKernel k = new TrainKernel(c);
        double[] phi = MetaTrainer.initialParameters(c, 1);
        TrainKernel.Block[] blocks = new TrainKernel.Block[(n + 63) / 64];
        for (int b = 0; b < blocks.length; b++) {
            blocks[b] = k.newBlock(b * 64, Math.min(64, n - b * 64));
        }
        double[] g = new double[n];
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = Math.sin(i) * 0.01;
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int rep = 0; rep < 3; rep++) {
            long c0 = mx.getCurrentThreadCpuTime();
            for (int s = 0; s < 20; s++) {
                for (TrainKernel.Block b : blocks) {
                    k.forward(phi, b, g, u, 0, false);
                }
            }
            long c1 = mx.getCurrentThreadCpuTime();
            System.out.printf(
                    "double untracked fwd: %.3g coord-steps/s per core%n",
                    20.0 * n / ((c1 - c0) / 1e9));
        }
        LstmOptimizer opt =
                LstmOptimizer.of(new LstmWeights(c, MetaTrainer.toFloat(phi))).withThreads(1);
        OptimizerState st = opt.newState(n);
        float[] gf = new float[n];
        float[] uf = new float[n];
        for (int i = 0; i < n; i++) {
            gf[i] = (float) g[i];
        }
        for (int rep = 0; rep < 3; rep++) {
            long c0 = mx.getCurrentThreadCpuTime();
            for (int s = 0; s < 20; s++) {
                opt.step(st, gf, uf);
            }
            long c1 = mx.getCurrentThreadCpuTime();
            System.out.printf(
                    "float LstmOptimizer fwd: %.3g coord-steps/s per core%n",
                    20.0 * n / ((c1 - c0) / 1e9));
        }
    }
}
