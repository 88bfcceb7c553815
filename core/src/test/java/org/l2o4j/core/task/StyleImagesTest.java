package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class StyleImagesTest {

    @Test
    void shippedImagesAreTheGeneratorsOutput() {
        List<String> names = new ArrayList<>();
        names.addAll(StyleImages.CONTENT_TRAIN);
        names.addAll(StyleImages.CONTENT_TEST);
        for (String n : names) {
            same(n, StyleImageGenerator.generate(n, StyleImages.SIDE), StyleImages.content(n));
        }
        names.clear();
        names.addAll(StyleImages.STYLE_TRAIN);
        names.addAll(StyleImages.STYLE_TEST);
        for (String n : names) {
            same(n, StyleImageGenerator.generate(n, StyleImages.SIDE), StyleImages.style(n));
        }
    }

    private static void same(String name, RgbImage expected, RgbImage shipped) {
        assertEquals(StyleImages.SIDE, shipped.height(), name);
        assertEquals(StyleImages.SIDE, shipped.width(), name);
        double[] e = expected.data();
        double[] s = shipped.data();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], s[i], 1.0 / 255 + 1e-9, name + " value " + i);
        }
    }

    @Test
    void trainingAndTestSetsAreDisjoint() {
        HashSet<String> styles = new HashSet<>(StyleImages.STYLE_TRAIN);
        styles.retainAll(StyleImages.STYLE_TEST);
        assertTrue(styles.isEmpty(), styles.toString());
        HashSet<String> contents = new HashSet<>(StyleImages.CONTENT_TRAIN);
        contents.retainAll(StyleImages.CONTENT_TEST);
        assertTrue(contents.isEmpty(), contents.toString());
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> StyleImages.style("mona-lisa"));
        assertTrue(e.getMessage().contains("mona-lisa") && e.getMessage().contains("waves"));
    }
}
