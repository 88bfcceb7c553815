package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.util.ModelSerializer;
import org.deeplearning4j.util.NetworkUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.l2o4j.pretrained.PretrainedRegistry;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.schedule.ExponentialSchedule;
import org.nd4j.linalg.schedule.ScheduleType;

/** LearnedUpdater inside real DL4J networks: training, blocks, JSON, save/restore, errors. */
class LearnedUpdaterDl4jTest {
    @TempDir static Path dir;
    static Path signFile;
    static Path randomFile;
    static LearnedUpdater sign;
    static LearnedUpdater random;

    @BeforeAll
    static void weights() throws Exception {
        signFile =
                TestWeights.write(
                        dir.resolve("sign.safetensors"),
                        TestWeights.signDescent(TestWeights.smallConfig(), 0.01));
        randomFile =
                TestWeights.write(
                        dir.resolve("random.safetensors"),
                        TestWeights.random(3, TestWeights.smallConfig(), 0.2));
        sign = LearnedUpdater.fromFile(signFile);
        random = LearnedUpdater.fromFile(randomFile);
    }

    private static MultiLayerNetwork mlp(IUpdater u) {
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(u));
        net.init();
        return net;
    }

    @Test
    void trainingASmallNetReducesTheLoss() {
        MultiLayerNetwork net = mlp(sign);
        DataSet ds = TestNets.data(1, 256);
        double before = net.score(ds);
        for (int i = 0; i < 40; i++) {
            net.fit(ds);
        }
        double after = net.score(ds);
        assertTrue(after < 0.7 * before, "loss " + before + " -> " + after);
    }

    @Test
    void computationGraphTrainsAndRestoresIdentically() throws Exception {
        ComputationGraph g = new ComputationGraph(TestNets.graph(random));
        g.init();
        DataSet ds = TestNets.data(2, 64);
        for (int i = 0; i < 5; i++) {
            g.fit(ds);
        }
        File f = dir.resolve("graph.zip").toFile();
        ModelSerializer.writeModel(g, f, true);
        ComputationGraph r = ModelSerializer.restoreComputationGraph(f, true);
        assertEquals(g.getUpdater().getStateViewArray(), r.getUpdater().getStateViewArray());
        for (int i = 0; i < 20; i++) {
            g.fit(ds);
            r.fit(ds);
        }
        double diff = g.params().sub(r.params()).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-6, "max parameter difference " + diff);
    }

    @Test
    void saveAndRestoreContinuesTrainingIdentically() throws Exception {
        MultiLayerNetwork net = mlp(random);
        DataSet ds = TestNets.data(3, 64);
        for (int i = 0; i < 5; i++) {
            net.fit(ds);
        }
        INDArray state = net.getUpdater().getStateViewArray();
        assertEquals(net.numParams() * 16, state.length());
        assertTrue(state.amaxNumber().doubleValue() > 0, "the LSTM state is in DL4J's view array");

        File f = dir.resolve("mlp.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(f, true);
        assertEquals(state, restored.getUpdater().getStateViewArray());
        for (int i = 0; i < 20; i++) {
            net.fit(ds);
            restored.fit(ds);
        }
        double diff = net.params().sub(restored.params()).amaxNumber().doubleValue();
        assertTrue(diff <= 1e-6, "max parameter difference " + diff);

        // Without the saved updater state the run diverges: the state matters.
        MultiLayerNetwork fresh = ModelSerializer.restoreMultiLayerNetwork(f, false);
        MultiLayerNetwork again = ModelSerializer.restoreMultiLayerNetwork(f, true);
        for (int i = 0; i < 3; i++) {
            fresh.fit(ds);
            again.fit(ds);
        }
        assertTrue(fresh.params().sub(again.params()).amaxNumber().doubleValue() > 1e-6);
    }

    @Test
    void jsonRoundTripsAndReferencesWeightsWithoutInliningThem() {
        MultiLayerConfiguration conf = TestNets.mlp(random);
        String json = conf.toJson();
        assertTrue(json.contains("\"weightsPath\" : \"" + randomFile.toAbsolutePath()), json);
        assertTrue(json.contains(random.weightsSha256()), json);
        assertFalse(json.contains("weightsId"), "null id is not written");
        // 2 layers x ~20 lines of configuration, no tensor of 400+ weights
        assertTrue(json.length() < 12_000, "JSON length " + json.length());
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(conf, back);
        IUpdater u = ((BaseLayer) back.getConf(0).getLayer()).getIUpdater();
        assertInstanceOf(LearnedUpdater.class, u);
        assertEquals(random, u);

        ComputationGraphConfiguration gconf = TestNets.graph(sign);
        assertEquals(gconf, ComputationGraphConfiguration.fromJson(gconf.toJson()));
    }

    @Test
    void restoreWithMissingWeightsNamesPathAndChecksum() throws Exception {
        Path moved = dir.resolve("moving.safetensors");
        Files.copy(randomFile, moved, StandardCopyOption.REPLACE_EXISTING);
        LearnedUpdater u = LearnedUpdater.fromFile(moved);
        MultiLayerNetwork net = mlp(u);
        net.fit(TestNets.data(4, 16));
        File f = dir.resolve("missing.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        Files.delete(moved);
        Exception e =
                assertThrows(
                        Exception.class, () -> ModelSerializer.restoreMultiLayerNetwork(f, true));
        String msg = rootMessages(e);
        assertTrue(msg.contains(moved.toAbsolutePath().toString()), msg);
        assertTrue(msg.contains(u.weightsSha256()), msg);
        // ... and says how to use the network for inference without the weights
        assertTrue(
                msg.contains(
                        "restore with loadUpdater=false"
                                + " (ModelSerializer.restoreMultiLayerNetwork(file, false)) to use"
                                + " the network for inference, or put the file back"),
                msg);
        MultiLayerNetwork inference = ModelSerializer.restoreMultiLayerNetwork(f, false);
        INDArray x = TestNets.data(4, 16).getFeatures();
        assertEquals(net.output(x), inference.output(x));
    }

    @Test
    void restoreWithChangedWeightsNamesBothChecksums() throws Exception {
        Path changing = dir.resolve("changing.safetensors");
        Files.copy(randomFile, changing, StandardCopyOption.REPLACE_EXISTING);
        LearnedUpdater u = LearnedUpdater.fromFile(changing);
        MultiLayerNetwork net = mlp(u);
        File f = dir.resolve("changed.zip").toFile();
        ModelSerializer.writeModel(net, f, true);
        Files.copy(signFile, changing, StandardCopyOption.REPLACE_EXISTING);
        Exception e =
                assertThrows(
                        Exception.class, () -> ModelSerializer.restoreMultiLayerNetwork(f, true));
        String msg = rootMessages(e);
        assertTrue(msg.contains(u.weightsSha256()), msg);
        assertTrue(msg.contains(sign.weightsSha256()), msg);
    }

    @Test
    void mismatchedUpdaterStateOnRestoreIsRejected() {
        MultiLayerNetwork net = mlp(random);
        net.fit(TestNets.data(5, 16));
        long len = net.getUpdater().getStateViewArray().length();
        INDArray wrong = org.nd4j.linalg.factory.Nd4j.zeros(net.params().dataType(), 1, len / 2);
        Exception e =
                assertThrows(
                        Exception.class,
                        () -> net.getUpdater().setStateViewArray(net, wrong, false));
        assertTrue(e.getMessage().contains(Long.toString(len)), e.getMessage());
    }

    @Test
    void severalUpdaterBlocksPerLayerAndBiasUpdater() {
        // conv layer: random weights; dense layers: sign-descent weights -> separate blocks
        MultiLayerNetwork cnn = new MultiLayerNetwork(TestNets.cnn(random, sign));
        cnn.init();
        DataSet ds = TestNets.data(6, 32, 144);
        cnn.fit(ds);
        MultiLayerUpdater upd = (MultiLayerUpdater) cnn.getUpdater();
        assertEquals(2, upd.getUpdaterBlocks().size());
        for (UpdaterBlock b : upd.getUpdaterBlocks()) {
            assertInstanceOf(LearnedGradientUpdater.class, b.getGradientUpdater());
        }
        assertEquals(random, upd.getUpdaterBlocks().get(0).getGradientUpdater().getConfig());
        assertEquals(sign, upd.getUpdaterBlocks().get(1).getGradientUpdater().getConfig());

        // biasUpdater: weights with the learned optimizer, biases with SGD -> alternating blocks
        MultiLayerNetwork net = twoLayers(sign, new Sgd(0.1));
        MultiLayerUpdater u2 = (MultiLayerUpdater) net.getUpdater();
        assertEquals(4, u2.getUpdaterBlocks().size());
        assertEquals(10 * 8 * 16 + 8 * 3 * 16, u2.getStateViewArray().length(), "state only for W");

        // ... and the learned optimizer as the bias updater, with other weights than the W's
        MultiLayerNetwork net2 = twoLayers(sign, random);
        MultiLayerUpdater u3 = (MultiLayerUpdater) net2.getUpdater();
        assertEquals(4, u3.getUpdaterBlocks().size());
        assertEquals(random, u3.getUpdaterBlocks().get(1).getGradientUpdater().getConfig());
        assertEquals(net2.numParams() * 16, u3.getStateViewArray().length());
    }

    private static MultiLayerNetwork twoLayers(IUpdater weights, IUpdater biases) {
        MultiLayerConfiguration conf =
                new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder()
                        .updater(weights)
                        .biasUpdater(biases)
                        .list()
                        .layer(
                                new org.deeplearning4j.nn.conf.layers.DenseLayer.Builder()
                                        .nIn(10)
                                        .nOut(8)
                                        .build())
                        .layer(
                                new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder()
                                        .nIn(8)
                                        .nOut(3)
                                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX)
                                        .build())
                        .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        net.fit(TestNets.data(7, 32));
        return net;
    }

    @Test
    void fineTuneConfigurationInstallsTheLearnedUpdater() {
        MultiLayerNetwork base = mlp(new Adam(1e-3));
        base.fit(TestNets.data(8, 32));
        MultiLayerNetwork tuned =
                new TransferLearning.Builder(base)
                        .fineTuneConfiguration(
                                new FineTuneConfiguration.Builder().updater(sign).build())
                        .build();
        for (int i = 0; i < tuned.getnLayers(); i++) {
            assertEquals(sign, ((BaseLayer) tuned.getLayer(i).conf().getLayer()).getIUpdater());
        }
        DataSet ds = TestNets.data(8, 128);
        double before = tuned.score(ds);
        for (int i = 0; i < 30; i++) {
            tuned.fit(ds);
        }
        assertTrue(tuned.score(ds) < before);
    }

    @Test
    void learningRateBehavesLikeAnUpdaterWithoutOne() {
        assertFalse(sign.hasLearningRate());
        assertTrue(Double.isNaN(sign.getLearningRate(0, 0)));
        assertThrows(UnsupportedOperationException.class, () -> sign.setLrAndSchedule(0.1, null));
        MultiLayerNetwork net = mlp(sign);
        assertNull(net.getLearningRate(0));
        net.setLearningRate(0.5); // DL4J skips layers without a learning rate
        net.setLearningRate(new ExponentialSchedule(ScheduleType.ITERATION, 0.1, 0.9));
        assertEquals(sign, ((BaseLayer) net.getLayer(0).conf().getLayer()).getIUpdater());
        assertNull(NetworkUtils.getLearningRate(net, 1));
        net.fit(TestNets.data(9, 16));
    }

    @Test
    void nonFiniteGradientNamesLayerAndParameter() {
        MultiLayerNetwork net = mlp(random);
        Dl4jParameters.register(net);
        DataSet ds = TestNets.data(10, 8);
        ds.getFeatures().putScalar(0, 3, Float.NaN);
        NonFiniteGradientException e =
                assertThrows(NonFiniteGradientException.class, () -> net.fit(ds));
        assertTrue(e.getMessage().contains("layer 0"), e.getMessage());
        assertTrue(e.getMessage().contains("parameter W"), e.getMessage());
        assertEquals(Dl4jParameters.describe(net, 3), Dl4jParameters.describe(net, 3));
        assertTrue(Dl4jParameters.describe(net, 10 * 16).contains("parameter b"));
        assertTrue(Dl4jParameters.describe(net, 10 * 16 + 16).contains("layer 1"));
    }

    @Test
    void pretrainedIdsAreCheckedAndMissingDefaultIsAClearError() {
        IllegalArgumentException unknown =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LearnedUpdater.pretrained("no-such-optimizer"));
        // the registry's one message, as in the CLI and the DJL adapter
        assertEquals(
                PretrainedRegistry.unknownIdMessage(
                        "no-such-optimizer", PretrainedOptimizers.ids()),
                unknown.getMessage());
        if (PretrainedOptimizers.ids().contains(PretrainedOptimizers.DEFAULT_ID)) {
            LearnedUpdater u = LearnedUpdater.pretrained();
            assertEquals(PretrainedOptimizers.DEFAULT_ID, u.weightsId());
            assertEquals(
                    PretrainedOptimizers.sha256(PretrainedOptimizers.DEFAULT_ID).toLowerCase(),
                    u.weightsSha256());
            assertEquals(
                    u,
                    MultiLayerConfiguration.fromJson(TestNets.mlp(u).toJson()).getConf(0).getLayer()
                                    instanceof BaseLayer
                            ? ((BaseLayer)
                                            MultiLayerConfiguration.fromJson(
                                                            TestNets.mlp(u).toJson())
                                                    .getConf(0)
                                                    .getLayer())
                                    .getIUpdater()
                            : null);
            mlp(u).fit(TestNets.data(11, 16));
        } else {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, LearnedUpdater::pretrained);
            assertTrue(e.getMessage().contains(PretrainedOptimizers.DEFAULT_ID), e.getMessage());
        }
    }

    /**
     * Every shipped optimizer, whatever its cell and features, is usable by id: it survives the
     * configuration's JSON round trip and trains a small net (40 full-batch steps lower the loss by
     * at least a quarter, none non-finite).
     */
    @Test
    void everyShippedOptimizerTrainsASmallNetById() {
        for (String id : PretrainedOptimizers.ids()) {
            LearnedUpdater u = LearnedUpdater.pretrained(id);
            assertEquals(id, u.weightsId());
            MultiLayerNetwork net =
                    new MultiLayerNetwork(
                            MultiLayerConfiguration.fromJson(TestNets.mlp(u).toJson()));
            net.init();
            DataSet ds = TestNets.data(1, 256);
            double before = net.score(ds);
            for (int i = 0; i < 40; i++) {
                net.fit(ds);
            }
            double after = net.score(ds);
            assertTrue(Double.isFinite(after), id + ": loss " + after);
            assertTrue(after < 0.75 * before, id + ": loss " + before + " -> " + after);
        }
    }

    @Test
    void fromFileRejectsMissingFiles() {
        Path nowhere = dir.resolve("nowhere.safetensors");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class, () -> LearnedUpdater.fromFile(nowhere));
        assertTrue(e.getMessage().contains(nowhere.toAbsolutePath().toString()), e.getMessage());
        assertNotEquals(sign, random);
        assertEquals(sign, sign.clone());
        assertEquals(sign.hashCode(), sign.clone().hashCode());
    }

    private static String rootMessages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c.getClass().getSimpleName())
                    .append(": ")
                    .append(c.getMessage())
                    .append(" | ");
        }
        return sb.toString();
    }
}
