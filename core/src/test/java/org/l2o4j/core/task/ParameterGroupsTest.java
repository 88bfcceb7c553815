package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParameterGroupsTest {

    @Test
    void byDefaultEveryCoordinateIsInTheGroupAll() {
        Task t = QuadraticTaskFamily.fromOptions(java.util.Map.of()).sample(1);
        assertEquals(List.of(Task.ALL_PARAMETERS), t.parameterGroups());
        assertArrayEquals(new int[t.dimension()], t.parameterGroupLabels());
    }

    @Test
    void mlpLabelsWeightsAndBiases() {
        MlpTask t =
                MlpTaskFamily.builder()
                        .data(MlpTaskTest.tinyData())
                        .hiddenUnits(5)
                        .hiddenLayers(2)
                        .batchSize(4)
                        .build()
                        .sample(0);
        assertEquals(List.of("dense-weights", "dense-biases"), t.parameterGroups());
        int[] labels = t.parameterGroupLabels();
        assertEquals(t.dimension(), labels.length);
        // 7-5-5-4: weights 35 + 25 + 20, biases 5 + 5 + 4
        int biases = 0;
        for (int l : labels) {
            biases += l;
        }
        assertEquals(14, biases);
        for (int l = 0; l < 3; l++) {
            assertEquals(0, labels[t.weightOffset(l)]);
            assertEquals(1, labels[t.biasOffset(l)]);
            assertEquals(0, labels[t.biasOffset(l) - 1]);
        }
        assertEquals(1, labels[labels.length - 1]);
    }
}
