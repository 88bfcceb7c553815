package org.l2o4j.examples;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Split;
import org.l2o4j.djl.LearnedOptimizer;

/**
 * The one-line swap in DJL: an MNIST MLP trained with {@code
 * .optOptimizer(LearnedOptimizer.pretrained())} where it had {@code Optimizer.adam()}, next to the
 * same model (same initial weights, same minibatches) trained with Adam.
 *
 * <p>Arguments: {@code --weights FILE} (default: the pretrained default optimizer), {@code --steps
 * N} [300], {@code --adam-lr X} [0.01], {@code --rows N} training rows [all of the bundled subset],
 * {@code --seed S} [42].
 */
public final class DjlOneLineSwap {
    private DjlOneLineSwap() {}

    public static void main(String[] args) throws Exception {
        System.out.println(runExample(args));
    }

    /**
     * README quickstart (DJL), compiled here so it stays correct: the paper's MNIST MLP with the
     * learned optimizer. Needs the shipped pretrained weights.
     */
    public static void quickstart(ArrayDataset mnistTrain) throws IOException, TranslateException {
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(20).build())
                            .add(Activation::sigmoid)
                            .add(Linear.builder().setUnits(10).build()));
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(
                                    LearnedOptimizer.pretrained()); // was: Optimizer.adam().build()
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(1, 784));
                EasyTrain.fit(trainer, 1, mnistTrain, null); // one epoch
            }
        }
    }

    static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(20).build())
                .add(Activation::sigmoid)
                .add(Linear.builder().setUnits(10).build());
    }

    /** Runs the example (see the class comment for the arguments). */
    public static OneLineSwapResult runExample(String[] args)
            throws IOException, TranslateException {
        Path weights = ExampleSupport.pathArg(args, "weights");
        int steps = ExampleSupport.intArg(args, "steps", 300);
        double adamLr = ExampleSupport.doubleArg(args, "adam-lr", 0.01);
        int rows = ExampleSupport.intArg(args, "rows", 0);
        long seed = ExampleSupport.intArg(args, "seed", 42);

        // The one line: the learned optimizer where the model had Adam.
        LearnedOptimizer learned =
                weights == null
                        ? LearnedOptimizer.pretrained()
                        : LearnedOptimizer.builder().optWeights(weights).build();
        String name = weights == null ? "pretrained default" : weights.getFileName().toString();
        Optimizer adam =
                Optimizer.adam()
                        .optLearningRateTracker(
                                ai.djl.training.tracker.Tracker.fixed((float) adamLr))
                        .build();

        Dataset train = ExampleSupport.mnist(Split.TRAIN, rows);
        Dataset test = ExampleSupport.mnist(Split.TEST, 0);
        try (NDManager data = NDManager.newBaseManager()) {
            ArrayDataset trainSet = ExampleSupport.djl(data, train, 128, seed);
            ArrayDataset trainAll = ExampleSupport.djl(data, train, train.rows(), 0);
            ArrayDataset testAll = ExampleSupport.djl(data, test, test.rows(), 0);
            double[] learnedOut = run(learned, trainSet, trainAll, testAll, steps, seed);
            double[] adamOut = run(adam, trainSet, trainAll, testAll, steps, seed);
            return new OneLineSwapResult(
                    "DJL",
                    name,
                    steps,
                    learnedOut[0],
                    learnedOut[1],
                    adamOut[1],
                    adamLr,
                    learnedOut[2],
                    adamOut[2]);
        }
    }

    /** Trains a fresh model; returns {initial train loss, final train loss, test accuracy}. */
    static double[] run(
            Optimizer optimizer,
            ArrayDataset train,
            ArrayDataset trainAll,
            ArrayDataset testAll,
            int steps,
            long seed)
            throws IOException, TranslateException {
        Engine.getInstance().setRandomSeed((int) seed); // same initial weights for every run
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(mlp());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(optimizer);
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(1, 784));
                double initial = evaluate(trainer, trainAll)[0];
                int t = 0;
                while (t < steps) {
                    for (Batch b : trainer.iterateDataset(train)) {
                        try (b;
                                GradientCollector gc = trainer.newGradientCollector()) {
                            NDList pred = trainer.forward(b.getData());
                            NDArray loss = trainer.getLoss().evaluate(b.getLabels(), pred);
                            gc.backward(loss);
                        }
                        trainer.step();
                        if (++t == steps) {
                            break;
                        }
                    }
                }
                double[] end = evaluate(trainer, trainAll);
                return new double[] {initial, end[0], evaluate(trainer, testAll)[1]};
            }
        }
    }

    /** {loss, accuracy} over the single batch of {@code all}. */
    static double[] evaluate(Trainer trainer, ArrayDataset all)
            throws IOException, TranslateException {
        for (Batch b : trainer.iterateDataset(all)) {
            try (b) {
                NDList pred = trainer.evaluate(b.getData());
                double loss = trainer.getLoss().evaluate(b.getLabels(), pred).getFloat();
                NDArray labels = b.getLabels().singletonOrThrow();
                double acc =
                        pred.singletonOrThrow()
                                        .argMax(1)
                                        .toType(DataType.FLOAT32, false)
                                        .eq(labels)
                                        .sum()
                                        .toType(DataType.FLOAT32, false)
                                        .getFloat()
                                / labels.getShape().get(0);
                pred.close();
                return new double[] {loss, acc};
            }
        }
        throw new IllegalStateException("empty dataset");
    }
}
