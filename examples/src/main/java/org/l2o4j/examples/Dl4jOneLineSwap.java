package org.l2o4j.examples;

import java.nio.file.Path;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.l2o4j.core.data.Dataset;
import org.l2o4j.core.data.Split;
import org.l2o4j.dl4j.LearnedUpdater;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction;

/**
 * The one-line swap in Deeplearning4j: an MNIST MLP trained with {@code
 * .updater(LearnedUpdater.pretrained())} where it had {@code .updater(new Adam(...))}, next to the
 * same network (same initial weights, same minibatches) trained with Adam.
 *
 * <p>Arguments: {@code --weights FILE} (a weight file from {@code l2o meta-train}; default: the
 * pretrained default optimizer), {@code --steps N} [300], {@code --adam-lr X} [0.01, what {@code
 * l2o demo} measured best at 200 steps], {@code --rows N} training rows [all of the bundled
 * subset], {@code --seed S} [42].
 */
public final class Dl4jOneLineSwap {
    private Dl4jOneLineSwap() {}

    public static void main(String[] args) {
        System.out.println(runExample(args));
    }

    /**
     * README quickstart (DL4J), compiled here so it stays correct: the paper's MNIST MLP with the
     * learned optimizer. Needs the shipped pretrained weights.
     */
    public static MultiLayerNetwork quickstart(DataSetIterator mnistTrain) {
        MultiLayerConfiguration conf =
                new NeuralNetConfiguration.Builder()
                        .seed(42)
                        .updater(LearnedUpdater.pretrained()) // was: .updater(new Adam(1e-3))
                        .list()
                        .layer(
                                new DenseLayer.Builder()
                                        .nIn(784)
                                        .nOut(20)
                                        .activation(Activation.SIGMOID)
                                        .build())
                        .layer(
                                new OutputLayer.Builder(LossFunction.MCXENT)
                                        .nIn(20)
                                        .nOut(10)
                                        .activation(Activation.SOFTMAX)
                                        .build())
                        .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.fit(mnistTrain, 1); // one epoch
        return net;
    }

    /** The quickstart's network with any updater. */
    static MultiLayerNetwork network(IUpdater updater, long seed) {
        MultiLayerConfiguration conf =
                new NeuralNetConfiguration.Builder()
                        .seed(seed)
                        .updater(updater)
                        .list()
                        .layer(
                                new DenseLayer.Builder()
                                        .nIn(784)
                                        .nOut(20)
                                        .activation(Activation.SIGMOID)
                                        .build())
                        .layer(
                                new OutputLayer.Builder(LossFunction.MCXENT)
                                        .nIn(20)
                                        .nOut(10)
                                        .activation(Activation.SOFTMAX)
                                        .build())
                        .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    /** Runs the example (see the class comment for the arguments). */
    public static OneLineSwapResult runExample(String[] args) {
        Path weights = ExampleSupport.pathArg(args, "weights");
        int steps = ExampleSupport.intArg(args, "steps", 300);
        double adamLr = ExampleSupport.doubleArg(args, "adam-lr", 0.01);
        int rows = ExampleSupport.intArg(args, "rows", 0);
        long seed = ExampleSupport.intArg(args, "seed", 42);

        // The one line: the learned optimizer where the network had Adam.
        LearnedUpdater learned =
                weights == null ? LearnedUpdater.pretrained() : LearnedUpdater.fromFile(weights);
        String name = weights == null ? learned.weightsId() : weights.getFileName().toString();

        Dataset train = ExampleSupport.mnist(Split.TRAIN, rows);
        DataSet trainAll = ExampleSupport.dl4j(train);
        DataSetIterator test =
                ExampleSupport.dl4jIterator(ExampleSupport.mnist(Split.TEST, 0), 500, 0);

        MultiLayerNetwork withLearned = network(learned, seed);
        MultiLayerNetwork withAdam = network(new Adam(adamLr), seed); // same seed: same weights
        double initial = withLearned.score(trainAll, false);
        fit(withLearned, ExampleSupport.dl4jIterator(train, 128, seed), steps);
        fit(withAdam, ExampleSupport.dl4jIterator(train, 128, seed), steps);
        return new OneLineSwapResult(
                "DL4J",
                name,
                steps,
                initial,
                withLearned.score(trainAll, false),
                withAdam.score(trainAll, false),
                adamLr,
                accuracy(withLearned, test),
                accuracy(withAdam, test));
    }

    /** {@code steps} minibatch steps, starting over at the end of the data. */
    static void fit(MultiLayerNetwork net, DataSetIterator data, int steps) {
        for (int t = 0; t < steps; t++) {
            if (!data.hasNext()) {
                data.reset();
            }
            net.fit(data.next());
        }
    }

    static double accuracy(MultiLayerNetwork net, DataSetIterator data) {
        data.reset();
        Evaluation e = net.evaluate(data);
        return e.accuracy();
    }
}
