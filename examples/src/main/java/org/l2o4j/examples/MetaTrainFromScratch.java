package org.l2o4j.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.LearningRateGrid;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.meta.MetaLossWeighting;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.MetaTrainingListener;
import org.l2o4j.core.task.QuadraticTaskFamily;

/**
 * Meta-trains a learned optimizer from scratch on the paper's 10-dimensional quadratics ({@code
 * f(theta) = ||W theta - y||^2}) and compares it with Adam on unseen tasks.
 *
 * <p>The optimizer sees the raw gradient (no preprocessing, as in the paper for quadratics; the
 * 2x20 LSTM otherwise). Adam's learning rate is tuned by grid search (1e-3 to 10: on these
 * quadratics Adam's best rate is around 1 to 2) on validation tasks; both are then run on the same
 * evaluation tasks, whose seeds the meta-trainer never used.
 *
 * <p>Arguments: {@code --iterations N} meta-iterations [1000], {@code --horizon T} [100], {@code
 * --unroll U} [20], {@code --hidden H} LSTM units [20], {@code --eval-tasks N} [100], {@code
 * --threads N} [available processors], {@code --out FILE} (optional: save the weights). The
 * defaults took 16 s on two shared cores (learned 0.16, tuned Adam 0.40 mean final loss).
 */
public final class MetaTrainFromScratch {
    private MetaTrainFromScratch() {}

    /**
     * The outcome.
     *
     * @param learned mean final loss of the learned optimizer on the evaluation tasks
     * @param learnedCi95 half-width of its 95% confidence interval
     * @param adam mean final loss of tuned Adam on the same tasks
     * @param adamCi95 half-width of its 95% confidence interval
     * @param initialLoss mean loss at the start (the same for both)
     * @param validationBefore meta-loss on the validation tasks of the initial optimizer
     * @param validationAfter best validation meta-loss (the returned weights)
     */
    public record Result(
            int iterations,
            int horizon,
            int evalTasks,
            double initialLoss,
            double learned,
            double learnedCi95,
            double adam,
            double adamCi95,
            double adamLearningRate,
            int learnedDiverged,
            double validationBefore,
            double validationAfter,
            double seconds,
            LstmWeights weights) {
        /** Learned / Adam mean final loss (below 1: the learned optimizer is better). */
        public double ratio() {
            return learned / adam;
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "quadratics, %d unseen tasks x %d steps: mean final loss learned %.4g +- %.2g,"
                            + " Adam (lr %.3g, tuned) %.4g +- %.2g, ratio %.3f (start %.4g);%n"
                            + "meta-training: %d iterations in %.1f s, validation meta-loss %.4g ->"
                            + " %.4g",
                    evalTasks,
                    horizon,
                    learned,
                    learnedCi95,
                    adamLearningRate,
                    adam,
                    adamCi95,
                    ratio(),
                    initialLoss,
                    iterations,
                    seconds,
                    validationBefore,
                    validationAfter);
        }
    }

    public static void main(String[] args) throws IOException {
        System.out.println(
                runExample(
                        args,
                        new MetaTrainingListener() {
                            @Override
                            public void onValidation(ValidationResult r) {
                                System.out.printf(
                                        Locale.ROOT,
                                        "iteration %d: validation meta-loss %.4g%s%n",
                                        r.iteration(),
                                        r.metaLoss(),
                                        r.best() ? " (best)" : "");
                            }
                        }));
    }

    public static Result runExample(String[] args) throws IOException {
        return runExample(args, new MetaTrainingListener() {});
    }

    /** Runs the example (see the class comment for the arguments). */
    public static Result runExample(String[] args, MetaTrainingListener listener)
            throws IOException {
        int iterations = ExampleSupport.intArg(args, "iterations", 1000);
        int horizon = ExampleSupport.intArg(args, "horizon", 100);
        int unroll = ExampleSupport.intArg(args, "unroll", 20);
        int hidden = ExampleSupport.intArg(args, "hidden", 20);
        int evalTasks = ExampleSupport.intArg(args, "eval-tasks", 100);
        int threads =
                ExampleSupport.intArg(args, "threads", Runtime.getRuntime().availableProcessors());
        Path out = ExampleSupport.pathArg(args, "out");

        QuadraticTaskFamily family = new QuadraticTaskFamily();
        long t0 = System.nanoTime();
        MetaTrainer trainer =
                new MetaTrainer(
                        MetaTrainingConfig.builder()
                                .taskFamily(family)
                                .lstmConfig(
                                        LstmConfig.builder()
                                                .hidden(hidden)
                                                .preprocessing(Preprocessing.NONE)
                                                .build())
                                .horizon(horizon)
                                .unroll(Math.min(unroll, horizon))
                                .weighting(MetaLossWeighting.uniform())
                                .iterations(iterations)
                                .validationTasks(20)
                                .validateEvery(Math.max(1, iterations / 10))
                                .threads(threads)
                                .seed(1)
                                .listener(listener)
                                .build());
        LstmWeights weights = trainer.train();
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<double[]> history = trainer.validationHistory();
        double validationAfter = Double.POSITIVE_INFINITY;
        for (double[] h : history) {
            validationAfter = Math.min(validationAfter, h[1]);
        }
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            WeightFiles.write(out, weights);
        }

        Evaluator eval = new Evaluator(horizon, threads);
        long[] evalSeeds = Evaluator.evaluationSeeds(evalTasks);
        OptimizerResult learned =
                eval.evaluate("learned", LstmOptimizer.of(weights), family, evalSeeds);
        OptimizerResult adam =
                eval.evaluateBaseline(
                        "adam",
                        LearningRateGrid.logSpaced(1e-3, 10, 9),
                        family,
                        evalSeeds,
                        Evaluator.validationSeeds(20));
        return new Result(
                iterations,
                horizon,
                evalTasks,
                adam.lossAt(0).mean(),
                learned.finalLoss().mean(),
                learned.finalLoss().ci95HalfWidth(),
                adam.finalLoss().mean(),
                adam.finalLoss().ci95HalfWidth(),
                adam.learningRate(),
                learned.divergedCount(),
                history.get(0)[1],
                validationAfter,
                seconds,
                weights);
    }
}
