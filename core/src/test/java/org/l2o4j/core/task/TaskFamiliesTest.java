package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.data.Split;

class TaskFamiliesTest {

    @Test
    void createsTheMlpFamilyFromOptions() {
        TaskFamily f =
                TaskFamilies.create(
                        "mnist-mlp",
                        Map.of(
                                "hidden", "40",
                                "layers", "2",
                                "activation", "tanh",
                                "batch", "64",
                                "split", "test",
                                "init", "glorot",
                                "data-dir", "bundled"));
        MlpTaskFamily mlp = assertInstanceOf(MlpTaskFamily.class, f);
        assertEquals(40, mlp.hiddenUnits());
        assertEquals(2, mlp.hiddenLayers());
        assertEquals(Activation.TANH, mlp.activation());
        assertEquals(64, mlp.batchSize());
        assertEquals(Split.TEST, mlp.split());
        assertEquals(MlpTaskFamily.Init.GLOROT, mlp.init());
        assertEquals(2000, mlp.data().rows());
    }

    @Test
    void examplesTrainsOnTheFirstExamplesOfTheSplit() {
        MlpTaskFamily full = (MlpTaskFamily) TaskFamilies.parse("mnist-mlp[data-dir=bundled]");
        MlpTaskFamily cut =
                (MlpTaskFamily) TaskFamilies.parse("mnist-mlp[examples=2000;data-dir=bundled]");
        assertEquals(8000, full.data().rows());
        assertEquals(2000, cut.data().rows());
        for (int r : new int[] {0, 1234, 1999}) {
            assertArrayEquals(full.data().row(r), cut.data().row(r));
            assertEquals(full.data().label(r), cut.data().label(r));
        }
        assertTrue(cut.name().endsWith(",examples=2000)"), cut.name());
        assertFalse(full.name().contains("examples"), full.name());
        MlpTask task = cut.sample(7);
        for (int t = 0; t < 100; t++) {
            for (int row : task.minibatchRows(t)) {
                assertTrue(row >= 0 && row < 2000, "step " + t + " drew row " + row);
            }
        }
        ConvTaskFamily conv =
                (ConvTaskFamily)
                        TaskFamilies.parse(
                                "conv[examples=500;dataset=fashion-mnist;data-dir=bundled]");
        assertEquals(500, conv.data().rows());
        assertTrue(conv.name().endsWith(",examples=500)"), conv.name());
        // a mixture passes the option on to its components
        MixtureTaskFamily mix =
                (MixtureTaskFamily)
                        TaskFamilies.parse(
                                "mixed[mix=mnist-mlp:1,conv:1;examples=1000;data-dir=bundled]");
        for (TaskFamily c : mix.components()) {
            assertTrue(c.name().endsWith(",examples=1000)"), c.name());
        }

        IllegalArgumentException tooMany =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.parse("mnist-mlp[examples=9000;data-dir=bundled]"));
        assertTrue(tooMany.getMessage().contains("[1, 8000]"), tooMany.getMessage());
        assertTrue(tooMany.getMessage().contains("9000"), tooMany.getMessage());
        IllegalArgumentException zero =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.parse("mnist-mlp[examples=0;data-dir=bundled]"));
        assertTrue(zero.getMessage().contains("option examples"), zero.getMessage());
        IllegalArgumentException belowBatch =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.parse("mnist-mlp[examples=100;data-dir=bundled]"));
        assertTrue(belowBatch.getMessage().contains("128"), belowBatch.getMessage());
    }

    @Test
    void parsesOneStringSpecs() {
        MlpTaskFamily f =
                assertInstanceOf(
                        MlpTaskFamily.class,
                        TaskFamilies.parse(
                                "mnist-mlp[hidden=10,dataset=fashion-mnist,data-dir=bundled]"));
        assertEquals(10, f.hiddenUnits());
        assertEquals(6000, f.data().rows());
        assertEquals(20, ((MlpTaskFamily) TaskFamilies.parse("MNIST-MLP")).hiddenUnits());
    }

    @Test
    void unbalancedBracketsAreNamed() {
        for (String spec :
                new String[] {"mnist-mlp[hidden=40", "mixed[mix=mnist-mlp[hidden=4:1]"}) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> TaskFamilies.parse(spec));
            assertEquals(
                    "task spec '"
                            + spec
                            + "' has an unbalanced '[': expected NAME or NAME[key=value,...]",
                    e.getMessage());
        }
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.parse("mnist-mlp[hidden=40]]"));
        assertTrue(e.getMessage().contains("unbalanced ']'"), e.getMessage());
    }

    @Test
    void errorsNameWhatIsKnown() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.create("cifar-cnn", Map.of()));
        assertTrue(e.getMessage().contains("mnist-mlp"), e.getMessage());
        IllegalArgumentException e2 =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.create("mnist-mlp", Map.of("units", "3")));
        assertTrue(e2.getMessage().contains("units"), e2.getMessage());
        assertTrue(e2.getMessage().contains("hidden"), e2.getMessage());
        IllegalArgumentException e3 =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> TaskFamilies.create("mnist-mlp", Map.of("hidden", "many")));
        assertTrue(e3.getMessage().contains("many"), e3.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> TaskFamilies.create("mnist-mlp", Map.of("activation", "gelu")));
    }

    @Test
    void mixtureSamplesComponentsInProportionToTheirWeights() {
        MixtureTaskFamily mix =
                assertInstanceOf(
                        MixtureTaskFamily.class,
                        TaskFamilies.create(
                                "mixed",
                                Map.of(
                                        "mix",
                                        "mnist-mlp:3,mnist-mlp[activation=relu;layers=2]:1",
                                        "split",
                                        "test",
                                        "data-dir",
                                        "bundled")));
        assertEquals(2, mix.components().size());
        MlpTaskFamily second = (MlpTaskFamily) mix.components().get(1);
        assertEquals(Activation.RELU, second.activation());
        assertEquals(2, second.hiddenLayers());
        assertEquals(Split.TEST, second.split()); // shared option passed down
        int[] counts = new int[2];
        for (long seed = 0; seed < 4000; seed++) {
            counts[mix.componentIndex(seed)]++;
        }
        assertEquals(0.75, counts[0] / 4000.0, 0.03);
        // the task for a seed is the chosen component's task for that seed
        long seed = 17;
        Task t = mix.sample(seed);
        Task direct = mix.components().get(mix.componentIndex(seed)).sample(seed);
        assertEquals(direct.name(), t.name());
        assertEquals(direct.loss(direct.initialParameters(), 0), t.loss(t.initialParameters(), 0));
    }

    @Test
    void mixtureValidatesItsWeights() {
        MlpTaskFamily a = MlpTaskFamily.builder().data(MlpTaskTest.tinyData()).batchSize(4).build();
        assertThrows(
                IllegalArgumentException.class,
                () -> MixtureTaskFamily.of(List.of(a, a), List.of(1.0)));
        assertThrows(
                IllegalArgumentException.class,
                () -> MixtureTaskFamily.of(List.of(a), List.of(-1.0)));
        assertThrows(
                IllegalArgumentException.class,
                () -> MixtureTaskFamily.of(List.of(a, a), List.of(0.0, 0.0)));
        MixtureTaskFamily zeroFirst = MixtureTaskFamily.of(List.of(a, a), List.of(0.0, 1.0));
        for (long s = 0; s < 100; s++) {
            assertEquals(1, zeroFirst.componentIndex(s));
        }
        assertThrows(
                IllegalArgumentException.class,
                () -> TaskFamilies.create("mixed", Map.of("mix", "mnist-mlp:x")));
        assertThrows(IllegalArgumentException.class, () -> TaskFamilies.create("mixed", Map.of()));
    }

    @Test
    void familiesCanBeRegistered() {
        MlpTaskFamily tiny =
                MlpTaskFamily.builder().data(MlpTaskTest.tinyData()).batchSize(4).build();
        TaskFamilies.register("tiny-test", Set.of("x"), "a test family", o -> tiny);
        assertTrue(TaskFamilies.names().contains("tiny-test"));
        assertTrue(TaskFamilies.help().contains("tiny-test: a test family"));
        assertEquals(tiny, TaskFamilies.create("tiny-test", Map.of("x", "1")));
        MixtureTaskFamily mix =
                (MixtureTaskFamily) TaskFamilies.create("mixed", Map.of("mix", "tiny-test[x=2]:1"));
        assertEquals(tiny, mix.components().get(0));
    }
}
