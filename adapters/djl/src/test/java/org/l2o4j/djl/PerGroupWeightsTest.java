package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;

/** The DJL adapter applies each parameter group's weight set to the parameters its rules name. */
class PerGroupWeightsTest {
    static final List<String> GROUPS =
            List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases");

    @TempDir Path tmp;

    static GroupedWeights weights() {
        List<LstmWeights> ws = new ArrayList<>();
        for (int g = 0; g < 4; g++) {
            ws.add(Fixtures.random(40 + g, 0.5));
        }
        return GroupedWeights.of(GROUPS, ws, Map.of());
    }

    /** Conv2d 3x3 (2 filters) -> flatten -> Linear(3) on 1x1x6x6 images. */
    static Block cnn(NDManager m) {
        Block b =
                new SequentialBlock()
                        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build())
                        .add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(3).build());
        Engine.getInstance().setRandomSeed(3);
        b.initialize(m, DataType.FLOAT32, new Shape(1, 1, 6, 6));
        return b;
    }

    /** One update of every parameter with gradient c; returns the expected update per name. */
    private static Map<String, String> stepAndCheck(
            LearnedOptimizer opt, Block block, GroupedWeights w, Map<String, String> expectGroup) {
        Random r = new Random(9);
        Map<String, String> seen = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            a.setRequiresGradient(true);
            int n = (int) a.size();
            float[] c = new float[n];
            for (int i = 0; i < n; i++) {
                c[i] = (float) (r.nextGaussian() * 0.01);
            }
            float[] before = a.toFloatArray();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(a.mul(a.getManager().create(c).reshape(a.getShape())).sum());
            }
            try (NDArray g = a.getGradient().duplicate()) {
                opt.update(p.getValue().getId(), a, g);
            }
            String group = expectGroup.get(p.getKey());
            LstmOptimizer core = LstmOptimizer.of(w.weights(group));
            OptimizerState s = core.newState(n);
            float[] u = new float[n];
            core.step(s, c, u);
            float[] after = a.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(before[i] + u[i], after[i], 1e-6f, p.getKey() + "[" + i + "]");
            }
            // another group's weights would have moved it differently
            LstmOptimizer other = LstmOptimizer.of(w.weights((GROUPS.indexOf(group) + 1) % 4));
            float[] uo = new float[n];
            other.step(other.newState(n), c, uo);
            assertFalse(java.util.Arrays.equals(u, uo), p.getKey());
            seen.put(p.getKey(), opt.parameterGroups().get(p.getValue().getId()));
        }
        return seen;
    }

    @Test
    void defaultRulesMapConvAndLinearParameters() throws Exception {
        GroupedWeights w = weights();
        Path file = tmp.resolve("lstm-sep.safetensors");
        GroupedWeightFiles.write(file, w);
        LearnedOptimizer opt = LearnedOptimizer.builder().optGroupedWeights(file).build();
        try (NDManager m = NDManager.newBaseManager()) {
            Block block = cnn(m);
            opt.nameParameters(block);
            Map<String, String> expect = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                String k = p.getKey();
                boolean conv = k.toLowerCase().contains("conv");
                boolean bias = k.endsWith("_bias");
                expect.put(
                        k,
                        conv
                                ? (bias ? "conv-biases" : "conv-kernels")
                                : (bias ? "dense-biases" : "dense-weights"));
            }
            assertEquals(4, expect.size(), expect.toString());
            assertEquals(expect, stepAndCheck(opt, block, w, expect));
        }
    }

    @Test
    void builderRulesComeFirstAndUnmatchedParametersAreNamed() {
        GroupedWeights w = weights();
        LearnedOptimizer opt =
                LearnedOptimizer.builder()
                        .optGroupedWeights(w)
                        .optGroupRule("Linear_bias$", "conv-biases")
                        .build();
        try (NDManager m = NDManager.newBaseManager()) {
            Block block = cnn(m);
            opt.nameParameters(block);
            Map<String, String> expect = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                String k = p.getKey();
                boolean conv = k.toLowerCase().contains("conv");
                boolean bias = k.endsWith("_bias");
                expect.put(
                        k,
                        conv || bias ? (bias ? "conv-biases" : "conv-kernels") : "dense-weights");
            }
            assertEquals(expect, stepAndCheck(opt, block, w, expect));

            // not named by a block: the own name 'weight' matches no rule
            LearnedOptimizer fresh = LearnedOptimizer.builder().optGroupedWeights(w).build();
            NDArray a = m.create(new float[] {1, 2});
            a.setName("weight");
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> fresh.update("x", a, m.create(new float[] {0.1f, 0.2f})));
            assertTrue(e.getMessage().contains("nameParameters"), e.getMessage());
            assertArrayEquals(new float[] {1, 2}, a.toFloatArray());

            // a rule naming a group the weights lack
            LearnedOptimizer bad =
                    LearnedOptimizer.builder()
                            .optGroupedWeights(w)
                            .optGroupRule("weight", "pixels")
                            .build();
            e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> bad.update("y", a, m.create(new float[] {0.1f, 0.2f})));
            assertTrue(e.getMessage().contains("pixels"), e.getMessage());
            assertTrue(e.getMessage().contains(GROUPS.toString()), e.getMessage());
        }
    }
}
