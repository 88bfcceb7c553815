package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
