package org.l2o4j.core.meta;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.l2o4j.core.lstm.Kernel;
import org.l2o4j.core.lstm.LstmConfig;

/**
 * Measures meta-training throughput: the forward with stored activations and the backward of {@code
 * unroll} steps over {@code coordinates} coordinates (blocks of {@value DoubleBptt#BLOCK} run in
 * parallel on {@code threads} threads) with synthetic gradients, as {@link MetaTrainer} runs them,
 * without the optimizee.
 */
public final class TrainThroughput {
    private TrainThroughput() {}

    /** A measurement. */
    public static final class Result {
        /** Coordinate-steps per second (forward + backward). */
        public final double coordStepsPerSecond;

        /** The kernel: {@code double}, {@code float-vector} or {@code float-scalar}. */
        public final String trainKernel;

        Result(double coordStepsPerSecond, String trainKernel) {
            this.coordStepsPerSecond = coordStepsPerSecond;
            this.trainKernel = trainKernel;
        }
    }

    /**
     * The name of the float kernel this JVM selects: {@code float-vector} or {@code float-scalar}.
     */
    public static String selectedFloatKernel() {
        return FloatBptt.create(LstmConfig.paperDefaults()).id();
    }

    /**
     * Measures {@code kind} (the float kernel this JVM selects, or the double one) for about {@code
     * seconds} after a warm-up.
     */
    public static Result measure(
            LstmConfig config,
            int coordinates,
            int unroll,
            int threads,
            double seconds,
            BpttPrecision kind) {
        return measure(config, coordinates, unroll, threads, seconds, kind, Kernel.selected());
    }

    /**
     * As {@link #measure(LstmConfig, int, int, int, double, BpttPrecision)}, with the float kernel
     * of the given kind ({@code SCALAR} or {@code VECTOR}).
     */
    public static Result measure(
            LstmConfig config,
            int coordinates,
            int unroll,
            int threads,
            double seconds,
            BpttPrecision kind,
            Kernel floatKind) {
        try (Pass pass = new Pass(config, coordinates, unroll, threads, kind, floatKind)) {
            long warmEnd = System.nanoTime() + (long) (Math.min(2.0, seconds / 2) * 1e9);
            while (System.nanoTime() < warmEnd) {
                pass.run();
            }
            long t0 = System.nanoTime();
            long reps = 0;
            long end = t0 + (long) (seconds * 1e9);
            do {
                pass.run();
                reps++;
            } while (System.nanoTime() < end);
            double sec = (System.nanoTime() - t0) / 1e9;
            return new Result(reps * (double) coordinates * unroll / sec, pass.trainKernel());
        }
    }

    /**
     * One training pass, ready to be repeated (for benchmarks): the forward with stored activations
     * over {@code unroll} steps of all blocks, then their backward and the block-order sum of the
     * meta-gradient. Holds its worker threads until closed.
     */
    public static final class Pass implements AutoCloseable {
        private final Workers workers;
        private final Runnable once;
        private final String id;
        private final double[] gradient;

        /**
         * @param floatKind {@code VECTOR} or {@code SCALAR} for the float kernel (ignored for
         *     {@code DOUBLE})
         */
        public Pass(
                LstmConfig config,
                int coordinates,
                int unroll,
                int threads,
                BpttPrecision kind,
                Kernel floatKind) {
            double[] phi = MetaTrainer.initialParameters(config, 1);
            int nb = (coordinates + DoubleBptt.BLOCK - 1) / DoubleBptt.BLOCK;
            SplittableRandom rng = new SplittableRandom(3);
            double[][] grads = new double[unroll + 1][coordinates];
            for (double[] g : grads) {
                for (int i = 0; i < coordinates; i++) {
                    g[i] = rng.nextGaussian() * 0.1;
                }
            }
            double[][] gradNext = Arrays.copyOfRange(grads, 1, unroll + 1);
            double[] wNext = new double[unroll];
            Arrays.fill(wNext, 1.0 / unroll);
            double[] update = new double[coordinates];
            gradient = new double[config.numParameters()];
            workers = new Workers(threads);
            if (kind == BpttPrecision.DOUBLE) {
                DoubleBptt kernel = new DoubleBptt(config);
                // the param feature's input: a fixed point (the pass measures, it does not train)
                double[] theta = kernel.needsTheta() ? grads[unroll].clone() : null;
                DoubleBptt.Block[] blocks = new DoubleBptt.Block[nb];
                for (int b = 0; b < nb; b++) {
                    int start = b * DoubleBptt.BLOCK;
                    blocks[b] =
                            kernel.newBlock(start, Math.min(DoubleBptt.BLOCK, coordinates - start));
                    blocks[b].ensureTracking(unroll);
                }
                id = "double";
                once =
                        () -> {
                            for (int u = 0; u < unroll; u++) {
                                final int uu = u;
                                workers.forEach(
                                        nb,
                                        b ->
                                                kernel.forward(
                                                        phi, blocks[b], grads[uu], theta, update,
                                                        uu, true));
                            }
                            workers.forEach(
                                    nb,
                                    b -> {
                                        Arrays.fill(blocks[b].acc, 0.0);
                                        kernel.backward(phi, blocks[b], gradNext, wNext, unroll);
                                    });
                            Arrays.fill(gradient, 0.0);
                            for (int b = 0; b < nb; b++) {
                                double[] acc = blocks[b].acc;
                                for (int p = 0; p < gradient.length; p++) {
                                    gradient[p] += acc[p];
                                }
                            }
                        };
            } else {
                FloatBptt kernel = FloatBptt.create(config, floatKind);
                kernel.prepare(phi);
                FloatBptt.Storage[] st = new FloatBptt.Storage[nb];
                for (int b = 0; b < nb; b++) {
                    st[b] = kernel.newStorage(unroll);
                }
                id = kernel.id();
                once =
                        () -> {
                            for (int u = 0; u < unroll; u++) {
                                final int uu = u;
                                workers.forEach(
                                        nb,
                                        b -> {
                                            int start = b * DoubleBptt.BLOCK;
                                            int w = Math.min(DoubleBptt.BLOCK, coordinates - start);
                                            kernel.forward(st[b], start, w, grads[uu], update, uu);
                                        });
                            }
                            workers.forEach(
                                    nb,
                                    b -> {
                                        int start = b * DoubleBptt.BLOCK;
                                        int w = Math.min(DoubleBptt.BLOCK, coordinates - start);
                                        kernel.backward(st[b], start, w, gradNext, wNext, unroll);
                                    });
                            Arrays.fill(gradient, 0.0);
                            for (int b = 0; b < nb; b++) {
                                double[] acc = st[b].acc;
                                for (int p = 0; p < gradient.length; p++) {
                                    gradient[p] += acc[p];
                                }
                            }
                        };
            }
        }

        /** Runs the pass once; returns the meta-gradient (valid until the next run). */
        public double[] run() {
            once.run();
            return gradient;
        }

        /** {@code double}, {@code float-vector} or {@code float-scalar}. */
        public String trainKernel() {
            return id;
        }

        @Override
        public void close() {
            workers.close();
        }
    }
}
