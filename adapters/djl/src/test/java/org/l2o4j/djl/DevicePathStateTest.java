package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.OptimizerState;

/**
 * {@code saveState}/{@code loadState} with device-resident state: a file saved by either path loads
 * into either path (same on-disk layout), and the run continues as if it had not been interrupted;
 * a file saved for one device loads onto another.
 */
class DevicePathStateTest {
    private static final LstmWeights WEIGHTS = DevicePathTest.randomOneLayerNone(11);

    @TempDir Path dir;

    private static LearnedOptimizer optimizer(DevicePath path) {
        // pieces of 50 coordinates: the first layer's weight (128) is in three
        return LearnedOptimizer.builder()
                .optWeights(WEIGHTS)
                .optDevicePath(path)
                .deviceChunk(50)
                .build();
    }

    /** Trains FIRST steps on {@code savePath}, saves, and continues SECOND on both paths. */
    private void continuesAcrossPaths(DevicePath savePath, DevicePath loadPath)
            throws IOException, MalformedModelException {
        int first = 10;
        int second = 10;
        String name = "mlp-" + savePath + "-" + loadPath;
        Path stateFile = dir.resolve(name + ".l2os");
        float[] uninterrupted;
        try (Model model = Fixtures.model("mlp", 5)) {
            LearnedOptimizer opt = optimizer(savePath);
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                for (int s = 0; s < first; s++) {
                    Fixtures.trainStep(trainer, s);
                }
                model.save(dir, name);
                opt.saveState(stateFile, model.getBlock());
                for (int s = 0; s < second; s++) {
                    Fixtures.trainStep(trainer, first + s);
                }
                uninterrupted = LearnedOptimizerTest.flatParams(model);
            }
        }
        float[] resumed;
        float[] fresh;
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(Fixtures.mlp());
            model.load(dir, name);
            LearnedOptimizer opt = optimizer(loadPath);
            opt.loadState(stateFile, model.getBlock());
            try (Trainer trainer = Fixtures.trainer(model, opt)) {
                for (int s = 0; s < second; s++) {
                    Fixtures.trainStep(trainer, first + s);
                }
                resumed = LearnedOptimizerTest.flatParams(model);
                for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                    OptimizerState st = opt.stateOf(p.getValue().getId(), Device.cpu());
                    assertEquals(first + second, st.stepCount(), "step count carried over");
                }
            }
        }
        try (Model model = Model.newInstance("mlp")) {
            model.setBlock(Fixtures.mlp());
            model.load(dir, name);
            try (Trainer trainer = Fixtures.trainer(model, optimizer(loadPath))) {
                for (int s = 0; s < second; s++) {
                    Fixtures.trainStep(trainer, first + s);
                }
                fresh = LearnedOptimizerTest.flatParams(model);
            }
        }
        double rel = relative(resumed, uninterrupted);
        System.out.printf(
                Locale.ROOT,
                "saved on %s, continued on %s: relative difference %.3g (without the state %.3g)%n",
                savePath,
                loadPath,
                rel,
                relative(fresh, uninterrupted));
        assertTrue(rel <= DevicePathTest.TOLERANCE, savePath + " -> " + loadPath + ": " + rel);
        // without the state the run differs: the comparison is not vacuous
        assertTrue(relative(fresh, uninterrupted) > 100 * rel + 1e-6, "state mattered");
    }

    private static double relative(float[] a, float[] b) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    @Test
    void javaKernelStateContinuesOnTheDevicePath() throws Exception {
        continuesAcrossPaths(DevicePath.NEVER, DevicePath.ALWAYS);
    }

    @Test
    void devicePathStateContinuesOnTheJavaKernel() throws Exception {
        continuesAcrossPaths(DevicePath.ALWAYS, DevicePath.NEVER);
    }

    @Test
    void devicePathStateContinuesOnTheDevicePath() throws Exception {
        continuesAcrossPaths(DevicePath.ALWAYS, DevicePath.ALWAYS);
    }

    /** Both paths given the same gradients write the same state file layout and values. */
    @Test
    void bothPathsSaveTheSameLayout() throws IOException {
        LstmWeights weights = Pretrained.load("general-v1");
        List<List<StateFile.Entry>> saved = new ArrayList<>();
        for (DevicePath path : new DevicePath[] {DevicePath.ALWAYS, DevicePath.NEVER}) {
            LearnedOptimizer opt =
                    LearnedOptimizer.builder().optWeights(weights).optDevicePath(path).build();
            try (Model model = Fixtures.model("mlp", 3);
                    NDManager m = NDManager.newBaseManager(Device.cpu())) {
                Random r = new Random(3);
                for (int step = 0; step < 5; step++) {
                    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                        NDArray w = p.getValue().getArray();
                        float[] g = new float[(int) w.size()];
                        for (int i = 0; i < g.length; i++) {
                            g[i] = (float) (0.01 * r.nextGaussian());
                        }
                        opt.update(p.getValue().getId(), w, m.create(g, w.getShape()));
                    }
                }
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                opt.saveState(out, model.getBlock());
                saved.add(
                        StateFile.read(
                                new ByteArrayInputStream(out.toByteArray()),
                                "memory",
                                opt.rule(),
                                out.size()));
            }
        }
        List<StateFile.Entry> device = saved.get(0);
        List<StateFile.Entry> java = saved.get(1);
        assertEquals(java.size(), device.size());
        for (int k = 0; k < java.size(); k++) {
            assertEquals(java.get(k).parameterName(), device.get(k).parameterName());
            assertEquals(java.get(k).device(), device.get(k).device());
            OptimizerState a = device.get(k).state();
            OptimizerState b = java.get(k).state();
            assertEquals(b.size(), a.size());
            assertEquals(b.stepCount(), a.stepCount());
            assertArrayEquals(b.data(), a.data(), 2e-5f, java.get(k).parameterName());
        }
    }

    /** A file saved on a GPU (written here by hand) loads onto the CPU, for either path. */
    @Test
    void stateSavedForAnotherDeviceLoadsOntoThisOne() throws IOException {
        for (DevicePath path : new DevicePath[] {DevicePath.ALWAYS, DevicePath.NEVER}) {
            LearnedOptimizer opt = optimizer(path);
            LstmOptimizer rule = (LstmOptimizer) opt.rule();
            try (Model model = Model.newInstance("linear")) {
                ai.djl.nn.Block block = ai.djl.nn.core.Linear.builder().setUnits(1).build();
                model.setBlock(block);
                block.initialize(
                        model.getNDManager(),
                        ai.djl.ndarray.types.DataType.FLOAT32,
                        new Shape(1, 3));
                Pair<String, Parameter> weight = block.getParameters().get(0);
                NDArray w = weight.getValue().getArray();
                NDManager m = model.getNDManager();
                OptimizerState onGpu = rule.newState(3);
                Random r = new Random(1);
                for (int i = 0; i < onGpu.data().length; i++) {
                    onGpu.data()[i] = (float) (0.1 * r.nextGaussian());
                }
                onGpu.setStepCount(7);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                StateFile.write(
                        out, rule, List.of(new StateFile.Entry(weight.getKey(), "gpu:0", onGpu)));
                opt.loadState(new ByteArrayInputStream(out.toByteArray()), "memory", block);
                float[] g = {0.1f, -0.2f, 0.3f};
                String id = weight.getValue().getId();
                opt.update(id, w, m.create(g, w.getShape()));
                OptimizerState now = opt.stateOf(id, Device.cpu());
                assertNotNull(now, path.name());
                assertEquals(8, now.stepCount(), path + ": continued from the GPU's state");
                // the same step from the GPU's state on a copy, through the core directly
                OptimizerState expected = onGpu.copy();
                float[] u = new float[3];
                rule.step(expected, g, 0, u, 0);
                assertArrayEquals(expected.data(), now.data(), 1e-6f, path.name());
            }
        }
    }
}
