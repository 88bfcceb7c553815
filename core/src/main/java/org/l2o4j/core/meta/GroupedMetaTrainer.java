package org.l2o4j.core.meta;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;
import org.l2o4j.core.io.WeightMetadata;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

/**
 * Joint meta-training of a per-group learned optimizer (the paper's LSTM-sep): one LSTM weight set
 * per parameter group of the task family ({@link Task#parameterGroups()}), trained together on the
 * same optimizee runs, each group's meta-gradient from its own coordinates only; the outer Adam
 * steps the concatenation of the groups' weights (clipped to a global norm over all groups).
 *
 * <p>Math as in {@link MetaTrainer} (first-order meta-gradient, truncated BPTT, docs/design.md
 * section 2). What differs from the shared trainer, precisely:
 *
 * <ul>
 *   <li>the task's coordinates are reordered group by group and each group padded to a multiple of
 *       {@value DoubleBptt#BLOCK} with dummy coordinates of gradient 0 ({@link GroupPaddedTask}),
 *       so that no block of the backward pass straddles two groups (a dummy's meta-gradient is
 *       exactly 0); blocks are not shuffled;
 *   <li>every coordinate runs the double training kernel (no float inference kernel for untracked
 *       coordinates); the backward runs, per truncation and group, all of the group's blocks or, if
 *       it has more than {@code blocksPerGroup}, that many chosen at random without repetition,
 *       scaled by (group's blocks / chosen) — unbiased per group;
 *   <li>one task per iteration, no checkpoints; validation every {@code validateEvery} iterations
 *       on {@code validationTasks} tasks (seeds {@code 2^61 + v}, the shared trainer's), keeping
 *       the best weights.
 * </ul>
 *
 * With all groups at the same weights, every block tracked and all weights equal, the groups'
 * meta-gradients sum to the shared optimizer's (the same per-coordinate terms, summed in another
 * order; tested against the shared double kernel). A run is bit-identical for any thread count.
 */
public final class GroupedMetaTrainer {
    /** Metadata key: the per-group trainer's blocks per group (see the class comment). */
    public static final String META_BLOCKS_PER_GROUP = "blocks_per_group";

    /** The settings. */
    public static final class Config {
        LstmConfig lstm = LstmConfig.paperDefaults();
        int horizon = 100;
        int unroll = 20;
        MetaLossWeighting weighting = MetaLossWeighting.uniform();
        int iterations = 100;
        double learningRate = 1e-3;
        double clipNorm = 1.0;
        long seed = 0;
        int threads = 1;
        int blocksPerGroup = 16;
        int validationTasks = 4;
        int validateEvery = 10;

        /** The architecture. */
        public Config lstm(LstmConfig c) {
            this.lstm = Objects.requireNonNull(c);
            return this;
        }

        /** Optimizee steps per run. */
        public Config horizon(int h) {
            this.horizon = positive("horizon", h);
            return this;
        }

        /** Steps per truncation. */
        public Config unroll(int u) {
            this.unroll = positive("unroll", u);
            return this;
        }

        /** The meta-loss weighting. */
        public Config weighting(MetaLossWeighting w) {
            this.weighting = Objects.requireNonNull(w);
            return this;
        }

        /** Meta-iterations (one optimizee run each). */
        public Config iterations(int n) {
            this.iterations = positive("iterations", n);
            return this;
        }

        /** The outer Adam's learning rate. */
        public Config learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** The global norm the meta-gradient is clipped to. */
        public Config clipNorm(double c) {
            this.clipNorm = c;
            return this;
        }

        /** The seed of tasks, initial weights and block choices. */
        public Config seed(long s) {
            this.seed = s;
            return this;
        }

        /** Worker threads (results do not depend on it). */
        public Config threads(int t) {
            this.threads = positive("threads", t);
            return this;
        }

        /** The most blocks of one group backpropagated per truncation. */
        public Config blocksPerGroup(int b) {
            this.blocksPerGroup = positive("blocks per group", b);
            return this;
        }

        /** Validation tasks (0: no validation, the last weights are returned). */
        public Config validationTasks(int v) {
            this.validationTasks = v;
            return this;
        }

        /** Iterations between validations. */
        public Config validateEvery(int n) {
            this.validateEvery = positive("validate every", n);
            return this;
        }

        private static int positive(String what, int v) {
            if (v < 1) {
                throw new IllegalArgumentException(what + " must be >= 1 but was " + v);
            }
            return v;
        }
    }

    private final TaskFamily family;
    private final Config config;
    private final GroupedWeights init;

    /** Progress: called after each iteration with its index. */
    private IntConsumer onIteration = it -> {};

    /**
     * @param family the tasks (all of the same parameter groups)
     * @param config the settings
     * @param init the weights to start from (a shared set is copied to every group; per-group
     *     weights by group name), or null for the shared trainer's fresh initialisation in every
     *     group
     */
    public GroupedMetaTrainer(TaskFamily family, Config config, GroupedWeights init) {
        this.family = Objects.requireNonNull(family);
        this.config = Objects.requireNonNull(config);
        this.init = init;
    }

    /** Sets a progress callback, called after each iteration with its index. */
    public GroupedMetaTrainer onIteration(IntConsumer c) {
        this.onIteration = Objects.requireNonNull(c);
        return this;
    }

    /** The seed of the training task of iteration {@code it} (in {@code [2^62, 2^63)}). */
    long taskSeed(int it) {
        long z = MetaTrainer.mix(MetaTrainer.mix(config.seed ^ 0x6A09E667F3BCC908L) + it);
        return (1L << 62) | (z & ((1L << 62) - 1));
    }

    /** The best (or, without validation, the last) weights. */
    public GroupedWeights train() {
        Config c = config;
        DoubleBptt kernel = new DoubleBptt(c.lstm);
        Task probe = family.sample(taskSeed(0));
        List<String> groups = probe.parameterGroups();
        int p = kernel.numParams;
        int ng = groups.size();
        double[] phi = new double[ng * p];
        if (init == null) {
            double[] one = MetaTrainer.initialParameters(c.lstm, c.seed);
            for (int g = 0; g < ng; g++) {
                System.arraycopy(one, 0, phi, g * p, p);
            }
        } else {
            if (!init.config().equals(c.lstm)) {
                throw new IllegalArgumentException(
                        "initial weights have architecture "
                                + init.config()
                                + " but the trainer's is "
                                + c.lstm);
            }
            List<LstmWeights> ws = init.resolve(groups, Map.of());
            for (int g = 0; g < ng; g++) {
                float[] f = ws.get(g).parameters();
                for (int i = 0; i < p; i++) {
                    phi[g * p + i] = f[i];
                }
            }
        }
        OuterOptimizer outer = new OuterAdam(c.learningRate);
        OuterOptimizer.State outerState = outer.newState(phi.length);
        double[] w = c.weighting.weights(c.horizon);
        int truncations = (c.horizon + c.unroll - 1) / c.unroll;
        double[] best = phi.clone();
        double bestLoss = Double.POSITIVE_INFINITY;
        long start = System.nanoTime();
        int runs = 0;
        long outerSteps = 0;
        try (Workers workers = new Workers(c.threads)) {
            if (c.validationTasks > 0) {
                bestLoss = validate(kernel, workers, phi, groups, w);
            }
            for (int it = 0; it < c.iterations; it++) {
                Task t = family.sample(taskSeed(it));
                if (!t.parameterGroups().equals(groups)) {
                    throw new IllegalArgumentException(
                            "every task must have the groups "
                                    + groups
                                    + " but "
                                    + t.name()
                                    + " has "
                                    + t.parameterGroups());
                }
                runs++;
                double[] meta = new double[1];
                try {
                    GroupedTruncation tr = new GroupedTruncation(kernel, workers, t, w, c.unroll);
                    for (int k = 0; k < truncations; k++) {
                        int s0 = k * c.unroll;
                        int len = Math.min(c.unroll, c.horizon - s0);
                        int[] tracked = chooseBlocks(tr.groupBlocks(), it, k);
                        double[] grad = tr.run(split(phi, ng, p), s0, len, tracked, meta);
                        if (grad == null) {
                            continue;
                        }
                        double norm = 0;
                        for (double gv : grad) {
                            norm += gv * gv;
                        }
                        norm = Math.sqrt(norm);
                        if (!Double.isFinite(norm)) {
                            break;
                        }
                        double scale = norm > c.clipNorm ? c.clipNorm / norm : 1.0;
                        outerSteps++;
                        outer.step(phi, grad, scale, outerState);
                    }
                } catch (Rollout.NonFiniteLossException e) {
                    // the run diverged: its remaining truncations are skipped
                }
                boolean last = it == c.iterations - 1;
                if (c.validationTasks > 0 && ((it + 1) % c.validateEvery == 0 || last)) {
                    double vl = validate(kernel, workers, phi, groups, w);
                    if (vl < bestLoss) {
                        bestLoss = vl;
                        best = phi.clone();
                    }
                }
                onIteration.accept(it);
            }
        }
        double[] out = c.validationTasks > 0 ? best : phi;
        Map<String, String> md = new LinkedHashMap<>();
        md.put(WeightMetadata.TASK_FAMILY, family.name());
        md.put(WeightMetadata.WEIGHTING, c.weighting.toString());
        md.put(WeightMetadata.HORIZON, Integer.toString(c.horizon));
        md.put(WeightMetadata.UNROLL, Integer.toString(c.unroll));
        md.put(WeightMetadata.SEED, Long.toString(c.seed));
        md.put(WeightMetadata.THREADS, Integer.toString(c.threads));
        md.put(WeightMetadata.ITERATIONS, Integer.toString(c.iterations));
        md.put(WeightMetadata.OPTIMIZATION_RUNS, Integer.toString(runs));
        md.put(WeightMetadata.TRUNCATIONS, Long.toString(outerSteps));
        md.put(
                WeightMetadata.WALL_TIME_SECONDS,
                String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - start) * 1e-9));
        md.put(WeightMetadata.TRAIN_KERNEL, "double");
        md.put(META_BLOCKS_PER_GROUP, Integer.toString(c.blocksPerGroup));
        return GroupedWeights.fromConcatenated(c.lstm, groups, MetaTrainer.toFloat(out), md);
    }

    static double[][] split(double[] phi, int groups, int p) {
        double[][] out = new double[groups][];
        for (int g = 0; g < groups; g++) {
            out[g] = Arrays.copyOfRange(phi, g * p, (g + 1) * p);
        }
        return out;
    }

    /** Per group, all its blocks or {@code blocksPerGroup} of them at random; ascending. */
    int[] chooseBlocks(int[] groupBlocks, int it, int k) {
        List<Integer> out = new ArrayList<>();
        for (int g = 0; g + 1 < groupBlocks.length; g++) {
            int from = groupBlocks[g];
            int n = groupBlocks[g + 1] - from;
            int[] idx = new int[n];
            for (int i = 0; i < n; i++) {
                idx[i] = from + i;
            }
            int take = Math.min(n, config.blocksPerGroup);
            if (take < n) {
                SplittableRandom rng =
                        new SplittableRandom(
                                MetaTrainer.mix(
                                        MetaTrainer.mix(
                                                        MetaTrainer.mix(config.seed ^ 0x3C6EF372L)
                                                                + it)
                                                + 31L * k
                                                + g));
                for (int i = 0; i < take; i++) {
                    int j = i + rng.nextInt(n - i);
                    int tmp = idx[i];
                    idx[i] = idx[j];
                    idx[j] = tmp;
                }
                Arrays.sort(idx, 0, take);
            }
            for (int i = 0; i < take; i++) {
                out.add(idx[i]);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Mean meta-loss on the validation tasks (forward only); +inf if one diverges. */
    private double validate(
            DoubleBptt kernel, Workers workers, double[] phi, List<String> groups, double[] w) {
        Config c = config;
        double sum = 0;
        int p = kernel.numParams;
        double[][] phiG = split(phi, groups.size(), p);
        for (int vt = 0; vt < c.validationTasks; vt++) {
            double[] meta = new double[1];
            try {
                GroupedTruncation tr =
                        new GroupedTruncation(
                                kernel,
                                workers,
                                family.sample(MetaTrainer.validationSeed(vt)),
                                w,
                                c.unroll);
                for (int s0 = 0; s0 < c.horizon; s0 += c.unroll) {
                    tr.run(phiG, s0, Math.min(c.unroll, c.horizon - s0), new int[0], meta);
                }
            } catch (Rollout.NonFiniteLossException e) {
                return Double.POSITIVE_INFINITY;
            }
            sum += meta[0];
        }
        return sum / c.validationTasks;
    }
}
