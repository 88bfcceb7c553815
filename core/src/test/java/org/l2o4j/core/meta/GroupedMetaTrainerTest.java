package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.task.ConvTaskFamily;
import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

class GroupedMetaTrainerTest {
    static final LstmConfig CFG = LstmConfig.builder().layers(2).hidden(5).build();

    static ConvTaskFamily tinyConv() {
        return ConvTaskFamily.fromOptions(
                Map.of("channels", "2", "blocks", "1", "batch", "4", "data-dir", "bundled"));
    }

    static int[] all(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    @Test
    void withEqualWeightsTheGroupsGradientsSumToTheSharedOne() {
        TaskFamily f = tinyConv();
        int p = CFG.numParameters();
        double[] phi = MetaTrainer.initialParameters(CFG, 3);
        int unroll = 4;
        double[] w = MetaLossWeighting.uniform().weights(2 * unroll);
        DoubleBptt k = new DoubleBptt(CFG);
        try (Workers wk = new Workers(1)) {
            Task a = f.sample(11);
            Rollout r = new Rollout(k, new Task[] {a}, null, null);
            Truncator shared = new Truncator(k, wk, r, w, unroll);
            GroupedTruncation grouped = new GroupedTruncation(k, wk, f.sample(11), w, unroll);
            int groups = a.parameterGroups().size();
            assertEquals(4, groups);
            double[][] phiG = new double[groups][];
            Arrays.fill(phiG, phi);
            double[] m1 = new double[1];
            double[] m2 = new double[1];
            for (int trunc = 0; trunc < 2; trunc++) {
                double[] g1 = new double[p];
                shared.run(phi, trunc * unroll, unroll, all(r.numBlocks), m1, g1);
                double[] g2 =
                        grouped.run(phiG, trunc * unroll, unroll, all(grouped.numBlocks()), m2);
                assertEquals(
                        m1[0], m2[0], 1e-12 * Math.abs(m1[0]), "meta-loss, truncation " + trunc);
                double max = 0;
                for (double v : g1) {
                    max = Math.max(max, Math.abs(v));
                }
                assertTrue(max > 0);
                double[] sum = new double[p];
                for (int g = 0; g < groups; g++) {
                    double groupNorm = 0;
                    for (int i = 0; i < p; i++) {
                        sum[i] += g2[g * p + i];
                        groupNorm += Math.abs(g2[g * p + i]);
                    }
                    assertTrue(groupNorm > 0, "group " + g + " has a meta-gradient");
                }
                for (int i = 0; i < p; i++) {
                    assertEquals(
                            g1[i], sum[i], 1e-10 * max, "parameter " + i + ", truncation " + trunc);
                }
            }
        }
    }

    /**
     * f(theta) = sum c_i theta_i: the gradient does not depend on theta, so the first-order
     * meta-gradient is the exact derivative of the meta-loss and finite differences must match it.
     */
    static final class LinearTask implements Task {
        final double[] c;

        LinearTask(int n) {
            c = new double[n];
            java.util.Random r = new java.util.Random(4);
            for (int i = 0; i < n; i++) {
                c[i] = r.nextGaussian() * Math.pow(10, r.nextInt(3) - 2);
            }
        }

        @Override
        public String name() {
            return "linear";
        }

        @Override
        public int dimension() {
            return c.length;
        }

        @Override
        public double[] initialParameters() {
            return new double[c.length];
        }

        @Override
        public double lossAndGradient(double[] theta, long t, double[] gradOut) {
            double f = 0;
            for (int i = 0; i < c.length; i++) {
                f += c[i] * theta[i];
                gradOut[i] = c[i];
            }
            return f;
        }

        @Override
        public List<String> parameterGroups() {
            return List.of("weights", "biases");
        }

        @Override
        public int[] parameterGroupLabels() {
            int[] l = new int[c.length];
            for (int i = 0; i < l.length; i += 3) {
                l[i] = 1;
            }
            return l;
        }
    }

    private static double metaLoss(DoubleBptt k, Workers wk, double[][] phiG, double[] w, int h) {
        GroupedTruncation t = new GroupedTruncation(k, wk, new LinearTask(90), w, h);
        double[] meta = new double[1];
        t.run(phiG, 0, h, new int[0], meta);
        return meta[0];
    }

    @Test
    void perGroupMetaGradientMatchesFiniteDifferences() {
        int h = 4;
        double[] w = MetaLossWeighting.linear().weights(h);
        DoubleBptt k = new DoubleBptt(CFG);
        int p = CFG.numParameters();
        double[][] phiG = {
            MetaTrainer.initialParameters(CFG, 1), MetaTrainer.initialParameters(CFG, 2)
        };
        try (Workers wk = new Workers(1)) {
            GroupedTruncation t = new GroupedTruncation(k, wk, new LinearTask(90), w, h);
            double[] meta = new double[1];
            double[] grad = t.run(phiG, 0, h, all(t.numBlocks()), meta);
            java.util.Random r = new java.util.Random(7);
            for (int g = 0; g < 2; g++) {
                for (int trial = 0; trial < 12; trial++) {
                    int i = trial == 0 ? LstmWeightsOffsets.output(CFG) : r.nextInt(p);
                    double eps = 1e-5;
                    double[][] plus = {phiG[0].clone(), phiG[1].clone()};
                    double[][] minus = {phiG[0].clone(), phiG[1].clone()};
                    plus[g][i] += eps;
                    minus[g][i] -= eps;
                    double fd =
                            (metaLoss(k, wk, plus, w, h) - metaLoss(k, wk, minus, w, h))
                                    / (2 * eps);
                    double an = grad[g * p + i];
                    assertEquals(
                            fd,
                            an,
                            1e-6 * Math.max(1e-3, Math.abs(fd)),
                            "group " + g + " parameter " + i);
                }
            }
        }
    }

    static final class LstmWeightsOffsets {
        static int output(LstmConfig c) {
            return org.l2o4j.core.lstm.LstmWeights.outputWeightOffset(c);
        }
    }

    private static GroupedMetaTrainer.Config small(int threads) {
        return new GroupedMetaTrainer.Config()
                .lstm(CFG)
                .horizon(6)
                .unroll(3)
                .iterations(2)
                .learningRate(1e-2)
                .seed(5)
                .threads(threads)
                .blocksPerGroup(2)
                .validationTasks(1)
                .validateEvery(1);
    }

    @Test
    void trainingIsDeterministicForAnyThreadCountAndMovesEveryGroup() {
        GroupedWeights one = new GroupedMetaTrainer(tinyConv(), small(1), null).train();
        GroupedWeights three = new GroupedMetaTrainer(tinyConv(), small(3), null).train();
        assertEquals(
                List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases"),
                one.groups());
        assertArrayEquals(one.concatenatedParameters(), three.concatenatedParameters());
        // no validation: the last weights; every group moved away from the common start
        GroupedWeights last =
                new GroupedMetaTrainer(tinyConv(), small(1).validationTasks(0), null).train();
        float[] start = MetaTrainer.initialWeights(CFG, 5).parameters();
        for (int g = 0; g < 4; g++) {
            assertFalse(Arrays.equals(start, last.weights(g).parameters()), "group " + g);
        }
        assertEquals("2", last.metadata().get("blocks_per_group"));
    }
}
