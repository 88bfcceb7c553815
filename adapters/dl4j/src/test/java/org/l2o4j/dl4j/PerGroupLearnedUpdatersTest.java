package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Sgd;

/** The DL4J adapter applies each parameter group's weight set to the right parameters. */
class PerGroupLearnedUpdatersTest {
    static final List<String> GROUPS =
            List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases");

    @TempDir static Path dir;
    static Path file;
    static GroupedWeights weights;

    @BeforeAll
    static void writeFile() throws Exception {
        LstmConfig c = TestWeights.smallConfig();
        List<LstmWeights> ws = new ArrayList<>();
        for (int g = 0; g < 4; g++) {
            ws.add(TestWeights.random(30 + g, c, 0.5));
        }
        weights = GroupedWeights.of(GROUPS, ws, Map.of());
        file = dir.resolve("lstm-sep.safetensors");
        GroupedWeightFiles.write(file, weights);
    }

    private static String group(org.deeplearning4j.nn.conf.layers.Layer l, boolean bias) {
        BaseLayer b = (BaseLayer) l;
        return ((LearnedUpdater) (bias ? b.getBiasUpdater() : b.getIUpdater())).weightsGroup();
    }

    @Test
    void defaultMappingByLayerTypeAndParameter() {
        MultiLayerConfiguration conf = TestNets.cnn(new Sgd(0.1), new Sgd(0.1));
        PerGroupLearnedUpdaters.fromFile(file).apply(conf);
        assertEquals("conv-kernels", group(conf.getConf(0).getLayer(), false));
        assertEquals("conv-biases", group(conf.getConf(0).getLayer(), true));
        for (int i = 2; i <= 3; i++) {
            assertEquals("dense-weights", group(conf.getConf(i).getLayer(), false));
            assertEquals("dense-biases", group(conf.getConf(i).getLayer(), true));
        }
        // the configuration's JSON keeps the groups
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(
                conf.getConf(0).getLayer().getUpdaterByParam("b"),
                back.getConf(0).getLayer().getUpdaterByParam("b"));
        assertEquals("conv-biases", group(back.getConf(0).getLayer(), true));
    }

    @Test
    void oneStepEqualsTheCoreOptimizerOfEachParametersGroup() {
        MultiLayerConfiguration conf = TestNets.cnn(new Sgd(0.1), new Sgd(0.1));
        PerGroupLearnedUpdaters.fromFile(file).apply(conf);
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        DataSet ds = TestNets.data(6, 32, 144);
        // the gradient DL4J's fit uses: one step of SGD with rate 1 from the same point
        MultiLayerNetwork sgd = new MultiLayerNetwork(TestNets.cnn(new Sgd(1.0), new Sgd(1.0)));
        sgd.init(net.params().dup(), true);
        float[] before = net.params().dup().data().asFloat();
        sgd.fit(ds);
        float[] grad = sgd.params().dup().data().asFloat();
        for (int j = 0; j < grad.length; j++) {
            grad[j] = before[j] - grad[j];
        }
        net.fit(ds);
        float[] after = net.params().dup().data().asFloat();
        int off = 0;
        int checked = 0;
        for (int i = 0; i < net.getnLayers(); i++) {
            org.deeplearning4j.nn.conf.layers.Layer lc = conf.getConf(i).getLayer();
            for (Map.Entry<String, INDArray> e : net.getLayer(i).paramTable().entrySet()) {
                int n = (int) e.getValue().length();
                boolean bias = e.getKey().equals("b");
                String g = group(lc, bias);
                LstmOptimizer opt = LstmOptimizer.of(weights.weights(g));
                OptimizerState s = opt.newState(n);
                float[] gg = java.util.Arrays.copyOfRange(grad, off, off + n);
                float[] u = new float[n];
                opt.step(s, gg, u);
                // the other groups' weights would give other steps
                String other = GROUPS.get((GROUPS.indexOf(g) + 1) % 4);
                float[] uo = new float[n];
                LstmOptimizer.of(weights.weights(other)).step(opt.newState(n), gg, uo);
                for (int j = 0; j < n; j++) {
                    float expected = before[off + j] + u[j];
                    assertEquals(
                            expected,
                            after[off + j],
                            1e-6f + 1e-5f * Math.abs(expected),
                            "layer " + i + " " + e.getKey() + "[" + j + "] (" + g + ")");
                }
                assertNotEquals(
                        java.util.Arrays.toString(u),
                        java.util.Arrays.toString(uo),
                        "groups " + g + " and " + other + " must differ");
                off += n;
                checked++;
            }
        }
        assertEquals(net.numParams(), off);
        assertEquals(6, checked); // conv W, b; dense W, b; output W, b
    }

    @Test
    void rulesOverrideTheDefaultsAndMissingGroupsAreNamed() throws Exception {
        MultiLayerConfiguration conf = TestNets.cnn(new Sgd(0.1), new Sgd(0.1));
        PerGroupLearnedUpdaters.fromFile(file)
                .map(DenseLayer.class, PerGroupLearnedUpdaters.WEIGHTS, "conv-kernels")
                .apply(conf);
        assertEquals("conv-kernels", group(conf.getConf(2).getLayer(), false));
        assertEquals("dense-biases", group(conf.getConf(2).getLayer(), true));
        assertEquals("dense-weights", group(conf.getConf(3).getLayer(), false));

        // without defaults only the given rules apply; other layers keep their updaters
        MultiLayerConfiguration only = TestNets.cnn(new Sgd(0.1), new Sgd(0.2));
        PerGroupLearnedUpdaters.fromFile(file)
                .clearDefaults()
                .map(DenseLayer.class, PerGroupLearnedUpdaters.BIAS, "dense-biases")
                .apply(only);
        assertInstanceOf(Sgd.class, ((BaseLayer) only.getConf(0).getLayer()).getIUpdater());
        assertEquals(new Sgd(0.2), ((BaseLayer) only.getConf(2).getLayer()).getIUpdater());
        assertEquals("dense-biases", group(only.getConf(2).getLayer(), true));

        // a per-group file without the mapped group: the error lists the file's groups
        Path mlp = dir.resolve("mlp.safetensors");
        GroupedWeightFiles.write(
                mlp,
                GroupedWeights.of(
                        List.of("dense-weights", "dense-biases"),
                        List.of(weights.weights(2), weights.weights(3)),
                        Map.of()));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                PerGroupLearnedUpdaters.fromFile(mlp)
                                        .apply(TestNets.cnn(new Sgd(0.1), new Sgd(0.1))));
        assertTrue(e.getMessage().contains("conv-kernels"), e.getMessage());
        assertTrue(e.getMessage().contains("[dense-weights, dense-biases]"), e.getMessage());

        // a shared file: every mapped parameter gets the shared weights
        Path shared = TestWeights.write(dir.resolve("shared.safetensors"), weights.weights(1));
        MultiLayerConfiguration sc = TestNets.cnn(new Sgd(0.1), new Sgd(0.1));
        PerGroupLearnedUpdaters.fromFile(shared).apply(sc);
        BaseLayer conv = (BaseLayer) sc.getConf(0).getLayer();
        assertEquals(LearnedUpdater.fromFile(shared), conv.getIUpdater());
        assertEquals(conv.getIUpdater(), conv.getBiasUpdater());
    }
}
