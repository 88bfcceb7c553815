package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.data.Split;

class MlpZooTaskFamilyTest {

    private static final String SPEC =
            "mlp-zoo[min-width=10;max-width=160;min-depth=1;max-depth=3;"
                    + "activations=sigmoid,relu,tanh;datasets=mnist,fashion-mnist;conv=0.2;"
                    + "data-dir=bundled]";

    private static MlpZooTaskFamily zoo(String spec) {
        return assertInstanceOf(MlpZooTaskFamily.class, TaskFamilies.parse(spec));
    }

    @Test
    void sameSeedSameTaskAcrossInstances() {
        MlpZooTaskFamily a = zoo(SPEC);
        MlpZooTaskFamily b = zoo(SPEC);
        for (long seed : new long[] {0, 1, 42, (1L << 62) + 7}) {
            assertEquals(a.variant(seed), b.variant(seed));
            Task ta = a.sample(seed);
            Task tb = b.sample(seed);
            assertEquals(ta.name(), tb.name());
            assertEquals(ta.dimension(), tb.dimension());
            double[] xa = ta.initialParameters();
            assertArrayEquals(xa, tb.initialParameters());
            double[] ga = new double[ta.dimension()];
            double[] gb = new double[tb.dimension()];
            assertEquals(ta.lossAndGradient(xa, 3, ga), tb.lossAndGradient(xa, 3, gb));
            assertArrayEquals(ga, gb);
        }
    }

    @Test
    void theTaskIsTheDrawnVariantsTask() {
        MlpZooTaskFamily z = zoo(SPEC);
        int checked = 0;
        for (long seed = 0; seed < 40; seed++) {
            MlpZooTaskFamily.Variant v = z.variant(seed);
            Task t = z.sample(seed);
            if (v.conv()) {
                assertInstanceOf(ConvTask.class, t);
                assertTrue(t.name().contains("dataset=" + v.dataset()), t.name());
            } else {
                MlpTask m = assertInstanceOf(MlpTask.class, t);
                MlpTaskFamily f = assertInstanceOf(MlpTaskFamily.class, z.family(v));
                assertEquals(v.width(), f.hiddenUnits());
                assertEquals(v.depth(), f.hiddenLayers());
                assertEquals(v.activation(), f.activation());
                assertEquals(f.dimension(), m.dimension());
                assertArrayEquals(f.sample(seed).initialParameters(), t.initialParameters());
                checked++;
            }
        }
        assertTrue(checked > 20, "MLP draws " + checked);
    }

    @Test
    void drawsCoverTheRanges() {
        MlpZooTaskFamily z = zoo(SPEC);
        int n = 4000;
        int conv = 0;
        int minW = Integer.MAX_VALUE;
        int maxW = 0;
        int below40 = 0;
        Set<Integer> depths = new HashSet<>();
        Set<Activation> acts = EnumSet.noneOf(Activation.class);
        Set<String> datasets = new HashSet<>();
        Set<String> convDatasets = new HashSet<>();
        int mlp = 0;
        for (long seed = 0; seed < n; seed++) {
            MlpZooTaskFamily.Variant v = z.variant((1L << 62) + seed * 7919);
            if (v.conv()) {
                conv++;
                convDatasets.add(v.dataset());
                continue;
            }
            mlp++;
            assertTrue(v.width() >= 10 && v.width() <= 160, "width " + v.width());
            minW = Math.min(minW, v.width());
            maxW = Math.max(maxW, v.width());
            below40 += v.width() < 40 ? 1 : 0;
            depths.add(v.depth());
            acts.add(v.activation());
            datasets.add(v.dataset());
        }
        assertEquals(0.2, conv / (double) n, 0.03);
        assertEquals(10, minW);
        assertEquals(160, maxW);
        // log-uniform: P(width < 40) = ln(40/10) / ln(161/10) = 0.50 (uniform would give 0.2)
        assertEquals(0.50, below40 / (double) mlp, 0.04);
        assertEquals(Set.of(1, 2, 3), depths);
        assertEquals(EnumSet.allOf(Activation.class), acts);
        assertEquals(Set.of("mnist", "fashion-mnist"), datasets);
        assertEquals(Set.of("mnist", "fashion-mnist"), convDatasets);
    }

    @Test
    void optionsNarrowTheDraws() {
        MlpZooTaskFamily z =
                zoo(
                        "mlp-zoo[min-width=7,max-width=7,min-depth=2,max-depth=2,"
                                + "activations=relu,datasets=fashion-mnist,conv=0,data-dir=bundled]");
        for (long seed = 0; seed < 200; seed++) {
            assertEquals(
                    new MlpZooTaskFamily.Variant(false, 7, 2, Activation.RELU, "fashion-mnist"),
                    z.variant(seed));
        }
        MlpZooTaskFamily all = zoo("mlp-zoo[conv=1;dataset=mnist;data-dir=bundled]");
        for (long seed = 0; seed < 50; seed++) {
            assertTrue(all.variant(seed).conv());
            assertInstanceOf(ConvTask.class, all.sample(seed));
        }
    }

    @Test
    void splitIsPassedThrough() {
        MlpZooTaskFamily train = zoo(SPEC);
        MlpZooTaskFamily test = zoo(SPEC.replace("]", ";split=test]"));
        assertEquals(Split.TRAIN, train.split());
        assertEquals(Split.TEST, test.split());
        assertTrue(test.name().contains("split=test"), test.name());
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(train.variant(seed), test.variant(seed));
            assertTrue(test.sample(seed).name().contains("split=test"), test.sample(seed).name());
            assertTrue(train.sample(seed).name().contains("split=train"));
        }
        // a different split, a different minibatch stream on the same initial point
        long seed = firstMlp(train);
        Task a = train.sample(seed);
        Task b = test.sample(seed);
        double[] x = a.initialParameters();
        assertArrayEquals(x, b.initialParameters());
        assertNotEquals(a.loss(x, 0), b.loss(x, 0));
    }

    @Test
    void gradientOfADrawnDeepTaskMatchesFiniteDifferences() {
        // the tasks are MlpTask and ConvTask (their own tests check them in depth); one drawn
        // three-layer MLP here, on a few hundred coordinates of every layer
        MlpZooTaskFamily z =
                zoo(
                        "mlp-zoo[min-width=10,max-width=12,min-depth=3,max-depth=3,"
                                + "activations=tanh,conv=0,init=glorot,data-dir=bundled]");
        Task t = z.sample(5);
        double[] theta = t.initialParameters();
        int n = t.dimension();
        int[] coords = new int[120];
        for (int i = 0; i < coords.length; i++) {
            coords[i] = (int) ((long) i * (n - 1) / (coords.length - 1));
        }
        MlpTaskTest.checkGradient(t, theta, 2, coords);
    }

    @Test
    void errorsNameTheOptionWhatItAcceptsAndWhatItGot() {
        assertMessage(
                "mlp-zoo[max-width=5;data-dir=bundled]",
                "option max-width must be >= min-width (10) but was 5");
        assertMessage(
                "mlp-zoo[min-width=0;data-dir=bundled]",
                "option min-width must be an integer in [1, 4096] but was 0");
        assertMessage(
                "mlp-zoo[activations=relu,swish;data-dir=bundled]",
                "option activations must be a list of distinct values from sigmoid, relu, tanh"
                        + " separated by ',' or '|' but was 'relu,swish'");
        assertMessage(
                "mlp-zoo[datasets=mnist|cifar10;data-dir=bundled]",
                "option datasets must be a list of distinct values from mnist, fashion-mnist"
                        + " separated by ',' or '|' but was 'mnist|cifar10'");
        assertMessage(
                "mlp-zoo[conv=1.5;data-dir=bundled]",
                "option conv must be a probability in [0, 1] but was '1.5'");
        assertMessage(
                "mlp-zoo[conv=often;data-dir=bundled]",
                "option conv must be a finite number >= 0.0 but was 'often'");
        assertMessage(
                "mlp-zoo[min-depth=2;max-depth=1;data-dir=bundled]",
                "option max-depth must be >= min-depth (2) but was 1");
        assertMessage(
                "mlp-zoo[dataset=mnist;datasets=mnist;data-dir=bundled]",
                "give option datasets or its synonym dataset, not both");
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.parse("mlp-zoo[width=3]"));
        assertTrue(e.getMessage().startsWith("task family mlp-zoo has no option 'width'"));
    }

    @Test
    void registeredWithItsOptions() {
        assertTrue(TaskFamilies.names().contains("mlp-zoo"));
        assertTrue(TaskFamilies.options("mlp-zoo").contains("split"));
        assertTrue(TaskFamilies.help().contains("mlp-zoo: "));
        MlpZooTaskFamily z =
                assertInstanceOf(
                        MlpZooTaskFamily.class,
                        TaskFamilies.create("mlp-zoo", Map.of("data-dir", "bundled", "conv", "0")));
        assertEquals(0.0, z.convProbability());
        assertEquals(
                "mlp-zoo(width=10..160,depth=1..3,activations=sigmoid|relu|tanh,"
                        + "datasets=mnist|fashion-mnist,conv=0.0,split=train,batch=128,"
                        + "init=normal,channels=8,blocks=2)",
                z.name());
        // inside a mixture too
        TaskFamily m =
                TaskFamilies.parse("mixed[mix=mlp-zoo[conv=0]:1,mnist-mlp:1;data-dir=bundled]");
        assertFalse(m.name().isEmpty());
    }

    private static long firstMlp(MlpZooTaskFamily z) {
        for (long seed = 0; ; seed++) {
            if (!z.variant(seed).conv()) {
                return seed;
            }
        }
    }

    private static void assertMessage(String spec, String message) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TaskFamilies.parse(spec));
        assertEquals(message, e.getMessage());
    }
}
