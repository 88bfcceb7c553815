package org.l2o4j.dl4j;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Small networks and synthetic data for the tests (a random linear teacher labels the data). */
final class TestNets {
    static final int IN = 10;
    static final int CLASSES = 3;

    private TestNets() {}

    /** {@code examples} points with one-hot labels from a fixed random linear teacher. */
    static DataSet data(long seed, int examples) {
        return data(seed, examples, IN);
    }

    /** The same with {@code in} features (144 for the CNN's 12x12 images). */
    static DataSet data(long seed, int examples, int in) {
        Nd4j.getRandom().setSeed(1234);
        INDArray teacher = Nd4j.randn(DataType.FLOAT, in, CLASSES);
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, examples, in);
        INDArray cls = Nd4j.argMax(x.mmul(teacher), 1);
        INDArray y = Nd4j.zeros(DataType.FLOAT, examples, CLASSES);
        for (int i = 0; i < examples; i++) {
            y.putScalar(i, cls.getInt(i), 1f);
        }
        return new DataSet(x, y);
    }

    static DataSetIterator iterator(long seed, int examples, int batch) {
        List<DataSet> list = new ArrayList<>(data(seed, examples).asList());
        return new ListDataSetIterator<>(list, batch);
    }

    /** 10-16-3 MLP with the given global updater. */
    static MultiLayerConfiguration mlp(IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(42)
                .updater(updater)
                .list()
                .layer(
                        new DenseLayer.Builder()
                                .nIn(IN)
                                .nOut(16)
                                .activation(Activation.TANH)
                                .build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nIn(16)
                                .nOut(CLASSES)
                                .activation(Activation.SOFTMAX)
                                .build())
                .build();
    }

    /** The same MLP as a ComputationGraph. */
    static ComputationGraphConfiguration graph(IUpdater updater) {
        return new NeuralNetConfiguration.Builder()
                .seed(42)
                .updater(updater)
                .graphBuilder()
                .addInputs("in")
                .addLayer(
                        "hidden",
                        new DenseLayer.Builder()
                                .nIn(IN)
                                .nOut(16)
                                .activation(Activation.TANH)
                                .build(),
                        "in")
                .addLayer(
                        "out",
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nIn(16)
                                .nOut(CLASSES)
                                .activation(Activation.SOFTMAX)
                                .build(),
                        "hidden")
                .setOutputs("out")
                .build();
    }

    /** A small CNN for 1x12x12 images: conv 3x3x4, max-pool, dense 16, softmax 3. */
    static MultiLayerConfiguration cnn(IUpdater conv, IUpdater dense) {
        return new NeuralNetConfiguration.Builder()
                .seed(42)
                .list()
                .layer(
                        new ConvolutionLayer.Builder(3, 3)
                                .nOut(4)
                                .activation(Activation.RELU)
                                .updater(conv)
                                .build())
                .layer(
                        new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX)
                                .kernelSize(2, 2)
                                .stride(2, 2)
                                .build())
                .layer(
                        new DenseLayer.Builder()
                                .nOut(16)
                                .activation(Activation.TANH)
                                .updater(dense)
                                .build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nOut(CLASSES)
                                .activation(Activation.SOFTMAX)
                                .updater(dense)
                                .build())
                .setInputType(InputType.convolutionalFlat(12, 12, 1))
                .build();
    }
}
