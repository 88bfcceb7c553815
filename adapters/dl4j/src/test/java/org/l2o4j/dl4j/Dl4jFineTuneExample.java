package org.l2o4j.dl4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Datasets;
import org.l2o4j.core.data.Split;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.meta.MetaLossWeighting;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Fine-tunes the learned optimizer on the user's own DL4J model, a small CNN on MNIST, and shows
 * the evaluation before and after (with Adam as the reference).
 *
 * <ol>
 *   <li>Starting weights: {@link LearnedUpdater#pretrained()} if the default optimizer is
 *       installed, otherwise a fresh optimizer ({@link MetaTrainer#initialWeights}), said so in the
 *       output.
 *   <li>Meta-training: a {@link Dl4jTaskFamily} on MNIST training batches, another on held-out
 *       training batches for validation, {@link MetaTrainer} with the starting weights as
 *       initialization.
 *   <li>Evaluation: for each optimizer, networks with several seeds are trained with {@code
 *       .updater(...)} for a number of steps and scored on MNIST test batches.
 * </ol>
 *
 * <p>Arguments ({@code --name value}): {@code --iterations} (meta-iterations, 20), {@code
 * --horizon} (40), {@code --unroll} (10), {@code --batch} (64), {@code --train-batches} (40),
 * {@code --steps} (evaluation training steps, 100), {@code --seeds} (3), {@code --threads} (2),
 * {@code --out} (weight file; a temporary file by default).
 */
public final class Dl4jFineTuneExample {
    private Dl4jFineTuneExample() {}

    /** Mean test loss and accuracy of one optimizer. */
    record Score(String optimizer, double testLoss, double accuracy) {}

    /** What the example measured and wrote. */
    record Report(String start, Path weights, List<Score> scores, String table) {}

    public static void main(String[] args) throws Exception {
        System.out.print(runExample(args).table());
    }

    public static Report runExample(String[] args) throws Exception {
        int iterations = intArg(args, "--iterations", 20);
        int horizon = intArg(args, "--horizon", 40);
        int unroll = intArg(args, "--unroll", 10);
        int batch = intArg(args, "--batch", 64);
        int trainBatches = intArg(args, "--train-batches", 40);
        int steps = intArg(args, "--steps", 100);
        int seeds = intArg(args, "--seeds", 3);
        int threads = intArg(args, "--threads", 2);
        String outArg = stringArg(args, "--out", null);
        Path out =
                outArg != null
                        ? Path.of(outArg)
                        : Files.createTempFile("l2o4j-dl4j-finetuned", ".safetensors");

        Dataset train = Datasets.mnist(Split.TRAIN);
        Dataset test = Datasets.mnist(Split.TEST);
        List<DataSet> trainSets = batches(train, batch, 0, trainBatches);
        List<DataSet> validSets =
                batches(train, batch, trainBatches, Math.max(1, trainBatches / 4));
        List<DataSet> testSets = batches(test, batch, 0, Math.max(1, trainBatches / 4));

        // 1. Starting weights
        LstmWeights start;
        String startName;
        if (PretrainedOptimizers.ids().contains(PretrainedOptimizers.DEFAULT_ID)) {
            start = LearnedUpdater.pretrained().weights();
            startName = "pretrained " + PretrainedOptimizers.DEFAULT_ID;
        } else {
            start = MetaTrainer.initialWeights(LstmConfig.paperDefaults(), 1);
            startName =
                    "fresh optimizer (no pretrained '"
                            + PretrainedOptimizers.DEFAULT_ID
                            + "' installed)";
        }
        Path startFile = Files.createTempFile("l2o4j-dl4j-start", ".safetensors");
        WeightFiles.write(startFile, start);

        // 2. Meta-training on the user's model
        Dl4jTaskFamily family =
                Dl4jTaskFamily.of(
                        "dl4j-mnist-cnn",
                        cnn(new NoOp()),
                        new ListDataSetIterator<>(trainSets, 1),
                        trainSets.size());
        Dl4jTaskFamily valid =
                family.withData(
                        "dl4j-mnist-cnn-valid",
                        new ListDataSetIterator<>(validSets, 1),
                        validSets.size());
        MetaTrainingConfig cfg =
                MetaTrainingConfig.builder()
                        .taskFamily(family)
                        .validationFamily(valid)
                        .validationTasks(1)
                        .initialWeights(start)
                        .horizon(horizon)
                        .unroll(unroll)
                        .weighting(MetaLossWeighting.uniform())
                        .iterations(iterations)
                        .tasksPerIteration(1)
                        .threads(threads)
                        .seed(1)
                        .putMetadata("command", "Dl4jFineTuneExample " + String.join(" ", args))
                        .build();
        long t0 = System.nanoTime();
        LstmWeights tuned = new MetaTrainer(cfg).train();
        double metaSeconds = (System.nanoTime() - t0) / 1e9;
        WeightFiles.write(out, tuned);

        // 3. Before/after evaluation
        List<Score> scores = new ArrayList<>();
        scores.add(
                evaluate(
                        "learned, before: " + startName,
                        LearnedUpdater.fromFile(startFile),
                        trainSets,
                        testSets,
                        steps,
                        seeds));
        scores.add(
                evaluate(
                        "learned, after fine-tuning",
                        LearnedUpdater.fromFile(out),
                        trainSets,
                        testSets,
                        steps,
                        seeds));
        scores.add(evaluate("Adam(1e-3)", new Adam(1e-3), trainSets, testSets, steps, seeds));

        StringBuilder sb = new StringBuilder();
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Fine-tuned on a DL4J CNN (MNIST bundled subset, batch %d): %d meta-iterations,"
                                + " horizon %d, unroll %d, %.1f s; weights -> %s%n",
                        batch,
                        iterations,
                        horizon,
                        unroll,
                        metaSeconds,
                        out));
        sb.append(
                String.format(
                        Locale.ROOT,
                        "Evaluation: %d training steps, %d seeds, %d test batches%n",
                        steps,
                        seeds,
                        testSets.size()));
        sb.append(
                String.format(
                        Locale.ROOT, "%-60s %10s %9s%n", "optimizer", "test loss", "accuracy"));
        for (Score s : scores) {
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "%-60s %10.4f %9.4f%n",
                            s.optimizer(),
                            s.testLoss(),
                            s.accuracy()));
        }
        return new Report(startName, out, scores, sb.toString());
    }

    /** 28x28x1 -> conv 3x3x4 ReLU -> max-pool 2 -> softmax 10 (about 6.8k parameters). */
    static MultiLayerConfiguration cnn(IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(1)
                .updater(updater)
                .list()
                .layer(
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(4)
                                .activation(Activation.RELU)
                                .build())
                .layer(
                        new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                                .kernelSize(2, 2)
                                .stride(2, 2)
                                .build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(10)
                                .activation(Activation.SOFTMAX)
                                .build())
                .setInputType(InputType.convolutionalFlat(28, 28, 1))
                .build();
    }

    private static Score evaluate(
            String name,
            IUpdater updater,
            List<DataSet> train,
            List<DataSet> test,
            int steps,
            int seeds) {
        double loss = 0;
        double acc = 0;
        for (int s = 0; s < seeds; s++) {
            MultiLayerConfiguration c = cnn(updater);
            for (NeuralNetConfiguration nc : c.getConfs()) {
                nc.setSeed(1000 + s); // evaluation seeds differ from meta-training's
            }
            MultiLayerNetwork net = new MultiLayerNetwork(c);
            net.init();
            for (int t = 0; t < steps; t++) {
                net.fit(train.get((t + s) % train.size()));
            }
            Evaluation e = new Evaluation(10);
            double l = 0;
            for (DataSet ds : test) {
                l += net.score(ds) / test.size();
                e.eval(ds.getLabels(), net.output(ds.getFeatures()));
            }
            loss += l / seeds;
            acc += e.accuracy() / seeds;
        }
        return new Score(name, loss, acc);
    }

    static List<DataSet> batches(Dataset d, int size, int first, int count) {
        return Dl4jTaskFamilies.batches(d, size, first, count);
    }

    private static int intArg(String[] args, String name, int def) {
        String v = stringArg(args, name, null);
        return v == null ? def : Integer.parseInt(v);
    }

    private static String stringArg(String[] args, String name, String def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return def;
    }
}
