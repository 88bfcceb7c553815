package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.Sgd;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** A DL4J network as a meta-training task: gradient, determinism, seeds, an optimizer run. */
class Dl4jTaskTest {

    private static MultiLayerConfiguration doubleMlp() {
        return new NeuralNetConfiguration.Builder()
                .seed(3)
                .dataType(DataType.DOUBLE)
                .updater(new NoOp())
                .list()
                .layer(
                        new DenseLayer.Builder()
                                .nIn(TestNets.IN)
                                .nOut(5)
                                .activation(Activation.TANH)
                                .build())
                .layer(
                        new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                .nIn(5)
                                .nOut(TestNets.CLASSES)
                                .activation(Activation.SOFTMAX)
                                .build())
                .build();
    }

    @Test
    void gradientMatchesFiniteDifferencesOfTheLoss() {
        Dl4jTaskFamily f = Dl4jTaskFamily.of("mlp", doubleMlp(), TestNets.iterator(1, 32, 8), 4);
        Dl4jTask task = f.sample(7);
        double[] theta = task.initialParameters();
        double[] g = new double[task.dimension()];
        double loss = task.lossAndGradient(theta, 2, g);
        assertTrue(loss > 0 && Double.isFinite(loss));
        double h = 1e-6;
        for (int i = 0; i < task.dimension(); i += 7) {
            double[] p = theta.clone();
            p[i] += h;
            double up = task.loss(p, 2);
            p[i] -= 2 * h;
            double down = task.loss(p, 2);
            double fd = (up - down) / (2 * h);
            assertEquals(fd, g[i], 1e-6 + 1e-4 * Math.abs(fd), "coordinate " + i);
        }
    }

    @Test
    void sameSeedSameTaskAndBatchesAreDeterministic() {
        Dl4jTaskFamily f =
                Dl4jTaskFamily.of(
                        "mlp", TestNets.mlp(new NoOp()), TestNets.iterator(2, 64, 16), 10);
        assertEquals(4, f.numBatches());
        Dl4jTask a = f.sample(5);
        Dl4jTask b = f.sample(5);
        Dl4jTask c = f.sample(6);
        assertArrayEquals(a.initialParameters(), b.initialParameters());
        assertFalse(Arrays.equals(a.initialParameters(), c.initialParameters()));
        for (long t = 0; t < 6; t++) {
            assertSame(a.batch(t), b.batch(t));
        }
        double[] ga = new double[a.dimension()];
        double[] gb = new double[b.dimension()];
        assertEquals(
                a.lossAndGradient(a.initialParameters(), 3, ga),
                b.lossAndGradient(b.initialParameters(), 3, gb));
        assertArrayEquals(ga, gb);
        assertThrows(IllegalArgumentException.class, () -> a.lossAndGradient(new double[3], 0, ga));
    }

    @Test
    void aCoreOptimizerOnTheTaskReducesTheLoss() {
        Dl4jTaskFamily f =
                Dl4jTaskFamily.of(
                        "mlp", TestNets.mlp(new NoOp()), TestNets.iterator(3, 128, 32), 4);
        Dl4jTask task = f.sample(1);
        double[] theta = task.initialParameters();
        int n = task.dimension();
        Sgd sgd = new Sgd(1.0);
        OptimizerState s = sgd.newState(n);
        float[] gf = new float[n];
        float[] upd = new float[n];
        double[] g = new double[n];
        double first = task.lossAndGradient(theta, 0, g);
        for (int t = 0; t < 30; t++) {
            task.lossAndGradient(theta, t, g);
            for (int i = 0; i < n; i++) {
                gf[i] = (float) g[i];
            }
            sgd.step(s, gf, upd);
            for (int i = 0; i < n; i++) {
                theta[i] += upd[i];
            }
        }
        double last = 0;
        for (int t = 0; t < 4; t++) {
            last += task.loss(theta, t) / 4;
        }
        assertTrue(last < 0.8 * first, first + " -> " + last);
    }

    @Test
    void evaluationSetReplacesTheMinibatchFromItsStepOn() {
        Dl4jTaskFamily f = Dl4jTaskFamily.of("mlp", doubleMlp(), TestNets.iterator(1, 32, 8), 4);
        org.nd4j.linalg.dataset.DataSet rows = TestNets.data(9, 20);
        Dl4jTaskFamily fe = f.withEvaluationSet(rows, 3);
        assertEquals(null, f.evaluationSet());
        assertEquals(20, fe.evaluationSet().numExamples());
        Dl4jTask plain = f.sample(5);
        Dl4jTask withEval = fe.sample(5);
        assertArrayEquals(plain.initialParameters(), withEval.initialParameters());
        for (long t = 0; t < 3; t++) {
            assertSame(plain.batch(t), withEval.batch(t), "step " + t);
        }
        for (long t = 3; t < 6; t++) {
            assertEquals(rows.getFeatures(), withEval.batch(t).getFeatures(), "step " + t);
            assertEquals(rows.getLabels(), withEval.batch(t).getLabels(), "step " + t);
        }
        // the loss and gradient at the evaluation step are those of all the evaluation rows
        Dl4jTask onRows = new Dl4jTask("rows", f.newNetwork(5), java.util.List.of(rows.copy()), 5);
        double[] theta = withEval.initialParameters();
        double[] ge = new double[theta.length];
        double[] gr = new double[theta.length];
        assertEquals(onRows.lossAndGradient(theta, 0, gr), withEval.lossAndGradient(theta, 3, ge));
        assertArrayEquals(gr, ge);
        assertFalse(Arrays.equals(ge, gradientAt(plain, theta, 3)));
        // other data drops the evaluation set; bad arguments are rejected
        assertEquals(null, fe.withData("other", TestNets.iterator(2, 16, 8), 2).evaluationSet());
        assertThrows(IllegalArgumentException.class, () -> f.withEvaluationSet(rows, -1));
    }

    private static double[] gradientAt(Dl4jTask task, double[] theta, long t) {
        double[] g = new double[theta.length];
        task.lossAndGradient(theta, t, g);
        return g;
    }

    @Test
    void graphFamilyWorksAndValidationDataIsSeparate() {
        Dl4jTaskFamily f =
                Dl4jTaskFamily.of(
                        "graph", TestNets.graph(new NoOp()), TestNets.iterator(4, 32, 16), 2);
        Dl4jTaskFamily v = f.withData("graph-valid", TestNets.iterator(5, 16, 16), 2);
        assertEquals(1, v.numBatches());
        Dl4jTask t = v.sample(1);
        double[] g = new double[t.dimension()];
        assertTrue(Double.isFinite(t.lossAndGradient(t.initialParameters(), 0, g)));
        assertTrue(Arrays.stream(g).anyMatch(x -> x != 0));
        assertEquals(f.sample(1).dimension(), t.dimension());
    }

    @Test
    void savedModelIsATaskFamilyByNameForTheCommandLine(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        MultiLayerConfiguration conf =
                new NeuralNetConfiguration.Builder()
                        .updater(new NoOp())
                        .list()
                        .layer(
                                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                                        .nIn(784)
                                        .nOut(10)
                                        .activation(Activation.SOFTMAX)
                                        .build())
                        .build();
        org.deeplearning4j.nn.multilayer.MultiLayerNetwork net =
                new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(conf);
        net.init();
        java.nio.file.Path zip = dir.resolve("softmax.zip");
        org.deeplearning4j.util.ModelSerializer.writeModel(net, zip.toFile(), false);
        Dl4jTaskFamilies.register();
        org.l2o4j.core.task.TaskFamily f =
                org.l2o4j.core.task.TaskFamilies.parse(
                        "dl4j-model[model=" + zip + ";batch=8;batches=2;data-dir=bundled]");
        org.l2o4j.core.task.Task t = f.sample(3);
        assertEquals(7850, t.dimension());
        double[] g = new double[t.dimension()];
        double loss = t.lossAndGradient(t.initialParameters(), 0, g);
        assertTrue(loss > 1 && loss < 5, "softmax loss near ln 10: " + loss);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> org.l2o4j.core.task.TaskFamilies.parse("dl4j-model[batch=8]"));
        assertTrue(e.getMessage().contains("model="), e.getMessage());
    }
}
