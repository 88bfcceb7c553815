package org.l2o4j.core.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.Task;
import org.l2o4j.core.task.TaskFamily;

/**
 * Runs update rules on tasks and compares them: the learned optimizer and the baselines on the same
 * unseen tasks (same initial points, same minibatches), each baseline with its learning rate tuned
 * by grid search on separate validation tasks.
 *
 * <p>A run applies a {@code float} update rule to a {@code double} task: at step {@code t} the
 * gradient is computed in double on minibatch {@code t}, converted to float, passed to {@link
 * UpdateRule#step}, and the float update is added to the double parameters. The loss after {@code
 * t} updates is recorded for {@code t = 0..T}.
 *
 * <p>A run <b>diverges</b> at the first step whose loss is NaN/Inf or above {@link
 * #divergenceFactor()} times the initial loss, or whose gradient is not finite in float (the rule's
 * {@link NonFiniteGradientException}). Diverged runs are kept and counted, never dropped silently.
 *
 * <p>Runs are independent and run in parallel on {@link #threads()} threads; results are identical
 * for any thread count. Each run samples its own {@link Task} instance from the family (sampling is
 * synchronized on the family, so families need not be thread-safe).
 *
 * <p>Immutable and thread-safe.
 */
public final class Evaluator {
    /** Default divergence threshold: a loss above 1e6 times the initial loss. */
    public static final double DEFAULT_DIVERGENCE_FACTOR = 1e6;

    /**
     * First evaluation task seed. Meta-training uses small seeds, so evaluation uses {@code
     * 1_000_000_000 + i}.
     */
    public static final long EVALUATION_SEED_BASE = 1_000_000_000L;

    /** First validation (learning-rate tuning) task seed: {@code 2_000_000_000 + i}. */
    public static final long VALIDATION_SEED_BASE = 2_000_000_000L;

    /** Optimizer steps per run (the horizon T). */
    private final int steps;

    /** Worker threads for independent runs. */
    private final int threads;

    /** Loss ratio to the initial loss above which a run counts as diverged. */
    private final double divergenceFactor;

    /**
     * An evaluator for horizon {@code steps} on {@code threads} threads.
     *
     * @throws IllegalArgumentException if {@code steps < 0} or {@code threads < 1}
     */
    public Evaluator(int steps, int threads) {
        this(steps, threads, DEFAULT_DIVERGENCE_FACTOR);
    }

    private Evaluator(int steps, int threads, double divergenceFactor) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0 but was " + steps);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1 but was " + threads);
        }
        if (!(divergenceFactor > 1)) {
            throw new IllegalArgumentException(
                    "divergence factor must be > 1 but was " + divergenceFactor);
        }
        this.steps = steps;
        this.threads = threads;
        this.divergenceFactor = divergenceFactor;
    }

    /** A copy with another divergence factor. */
    public Evaluator withDivergenceFactor(double factor) {
        return new Evaluator(steps, threads, factor);
    }

    /** A copy with another horizon. */
    public Evaluator withSteps(int newSteps) {
        return new Evaluator(newSteps, threads, divergenceFactor);
    }

    /** The horizon T. */
    public int steps() {
        return steps;
    }

    /** The number of worker threads. */
    public int threads() {
        return threads;
    }

    /** The divergence factor. */
    public double divergenceFactor() {
        return divergenceFactor;
    }

    /** Seeds {@code base, base + 1, ..., base + n - 1}. */
    public static long[] seeds(long base, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("number of seeds must be >= 0 but was " + n);
        }
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = base + i;
        }
        return s;
    }

    /** The {@code n} default evaluation seeds. */
    public static long[] evaluationSeeds(int n) {
        return seeds(EVALUATION_SEED_BASE, n);
    }

    /** The {@code n} default validation seeds (disjoint from {@link #evaluationSeeds}). */
    public static long[] validationSeeds(int n) {
        return seeds(VALIDATION_SEED_BASE, n);
    }

    /**
     * Runs {@code rule} on {@code task} for {@link #steps()} steps from the task's initial point.
     *
     * @param name the optimizer's name in the result
     * @param seed the task's seed, recorded in the result
     */
    public RunResult run(String name, UpdateRule rule, Task task, long seed) {
        long start = System.nanoTime();
        int n = task.dimension();
        double[] theta = task.initialParameters();
        Task.checkLength("initial parameters of " + task.name(), theta, n);
        double[] gradD = new double[n];
        float[] grad = new float[n];
        float[] update = new float[n];
        // the parameters as the rule sees them (read by a learned optimizer with the param feature)
        float[] params = rule.needsParameters() ? new float[n] : null;
        OptimizerState state = rule.newState(n);
        double[] losses = new double[steps + 1];
        Arrays.fill(losses, Double.NaN);
        int diverged = -1;
        double limit = Double.POSITIVE_INFINITY;
        long optNanos = 0;
        for (int t = 0; t <= steps; t++) {
            double loss = t < steps ? task.lossAndGradient(theta, t, gradD) : task.loss(theta, t);
            losses[t] = loss;
            if (t == 0 && Double.isFinite(loss) && loss != 0) {
                limit = divergenceFactor * Math.abs(loss);
            }
            if (!Double.isFinite(loss) || loss > limit) {
                diverged = t;
                break;
            }
            if (t == steps) {
                break;
            }
            for (int i = 0; i < n; i++) {
                grad[i] = (float) gradD[i];
            }
            if (params != null) {
                for (int i = 0; i < n; i++) {
                    params[i] = (float) theta[i];
                }
            }
            long s0 = System.nanoTime();
            try {
                if (params != null) {
                    rule.step(state, params, grad, update);
                } else {
                    rule.step(state, grad, update);
                }
            } catch (NonFiniteGradientException e) {
                diverged = t;
                break;
            }
            optNanos += System.nanoTime() - s0;
            for (int i = 0; i < n; i++) {
                theta[i] += update[i];
            }
        }
        return new RunResult(name, seed, losses, diverged, optNanos, System.nanoTime() - start);
    }

    /** Runs {@code rule} on the family's task for each seed (in parallel), in seed order. */
    public List<RunResult> runAll(String name, UpdateRule rule, TaskFamily family, long[] seeds) {
        List<Callable<RunResult>> jobs = new ArrayList<>();
        for (long seed : seeds) {
            jobs.add(() -> run(name, rule, sample(family, seed), seed));
        }
        return runParallel(jobs);
    }

    /** Evaluates one optimizer (no tuning) on the seeds. */
    public OptimizerResult evaluate(String name, UpdateRule rule, TaskFamily family, long[] seeds) {
        return new OptimizerResult(name, Double.NaN, runAll(name, rule, family, seeds), null);
    }

    /**
     * Grid search of {@code baseline}'s learning rate on the validation tasks (all grid values and
     * seeds run in parallel); see {@link TuningResult} for the selection rule.
     */
    public TuningResult tune(
            String baseline, LearningRateGrid grid, TaskFamily family, long[] validationSeeds) {
        if (validationSeeds.length == 0) {
            throw new IllegalArgumentException("Tuning needs at least one validation seed");
        }
        double[] lrs = grid.values();
        List<Callable<RunResult>> jobs = new ArrayList<>();
        for (double lr : lrs) {
            UpdateRule rule = Baselines.create(baseline, lr);
            for (long seed : validationSeeds) {
                jobs.add(() -> run(baseline, rule, sample(family, seed), seed));
            }
        }
        List<RunResult> runs = runParallel(jobs);
        List<TuningResult.GridPoint> points = new ArrayList<>();
        int k = 0;
        for (double lr : lrs) {
            List<RunResult> rs = runs.subList(k, k + validationSeeds.length);
            k += validationSeeds.length;
            double[] finals = rs.stream().mapToDouble(RunResult::finalLoss).toArray();
            int div = (int) rs.stream().filter(RunResult::diverged).count();
            double mean = div > 0 ? Double.POSITIVE_INFINITY : Statistics.mean(finals);
            Statistics.Summary finite =
                    Statistics.summarize(Arrays.stream(finals).filter(Double::isFinite).toArray());
            points.add(new TuningResult.GridPoint(lr, mean, finite, div));
        }
        return new TuningResult(
                baseline, points, TuningResult.select(points), validationSeeds, steps);
    }

    /** Tunes {@code baseline} on the validation seeds, then evaluates the chosen rate. */
    public OptimizerResult evaluateBaseline(
            String baseline,
            LearningRateGrid grid,
            TaskFamily family,
            long[] evaluationSeeds,
            long[] validationSeeds) {
        requireDisjoint(evaluationSeeds, validationSeeds);
        TuningResult tuning = tune(baseline, grid, family, validationSeeds);
        double lr = tuning.bestLearningRate();
        List<RunResult> runs =
                runAll(baseline, Baselines.create(baseline, lr), family, evaluationSeeds);
        return new OptimizerResult(baseline, lr, runs, tuning);
    }

    /**
     * The full comparison: each learned optimizer (in map order) and each tuned baseline on the
     * same evaluation tasks.
     *
     * @param learned optimizers evaluated as given, by report name (may be empty)
     * @param baselines baseline names (see {@link Baselines})
     * @throws IllegalArgumentException if the seed sets overlap or a name repeats
     */
    public EvaluationResult compare(
            TaskFamily family,
            Map<String, UpdateRule> learned,
            List<String> baselines,
            LearningRateGrid grid,
            long[] evaluationSeeds,
            long[] validationSeeds) {
        requireDisjoint(evaluationSeeds, validationSeeds);
        Map<String, OptimizerResult> out = new LinkedHashMap<>();
        for (Map.Entry<String, UpdateRule> e : learned.entrySet()) {
            putUnique(out, evaluate(e.getKey(), e.getValue(), family, evaluationSeeds));
        }
        for (String b : baselines) {
            putUnique(out, evaluateBaseline(b, grid, family, evaluationSeeds, validationSeeds));
        }
        return new EvaluationResult(
                family.name(),
                steps,
                evaluationSeeds,
                validationSeeds,
                new ArrayList<>(out.values()));
    }

    private static void putUnique(Map<String, OptimizerResult> m, OptimizerResult r) {
        if (m.put(r.name(), r) != null) {
            throw new IllegalArgumentException("Optimizer name '" + r.name() + "' is used twice");
        }
    }

    /**
     * Checks that evaluation and validation seeds do not overlap.
     *
     * @throws IllegalArgumentException naming a shared seed
     */
    public static void requireDisjoint(long[] evaluationSeeds, long[] validationSeeds) {
        Set<Long> eval = new HashSet<>();
        for (long s : evaluationSeeds) {
            eval.add(s);
        }
        for (long s : validationSeeds) {
            if (eval.contains(s)) {
                throw new IllegalArgumentException(
                        "Validation seeds must be disjoint from evaluation seeds but both contain "
                                + s);
            }
        }
    }

    private static Task sample(TaskFamily family, long seed) {
        synchronized (family) {
            return family.sample(seed);
        }
    }

    private List<RunResult> runParallel(List<Callable<RunResult>> jobs) {
        List<RunResult> out = new ArrayList<>(jobs.size());
        if (threads == 1 || jobs.size() <= 1) {
            for (Callable<RunResult> j : jobs) {
                try {
                    out.add(j.call());
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, jobs.size()));
        try {
            List<Future<RunResult>> futures = new ArrayList<>();
            for (Callable<RunResult> j : jobs) {
                futures.add(pool.submit(j));
            }
            for (Future<RunResult> f : futures) {
                out.add(f.get());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Evaluation interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        } finally {
            pool.shutdownNow();
        }
    }
}
