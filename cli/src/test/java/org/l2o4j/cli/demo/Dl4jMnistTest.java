package org.l2o4j.cli.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.data.Dataset;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

class Dl4jMnistTest {
    /** 10 rows of 3 features; feature 0 of row r is r, the label is r % 4. */
    private static Dl4jMnist tiny() {
        int n = 10;
        float[] x = new float[n * 3];
        int[] y = new int[n];
        for (int r = 0; r < n; r++) {
            x[3 * r] = r;
            x[3 * r + 1] = 0.5f;
            y[r] = r % 4;
        }
        return Dl4jMnist.of(new Dataset("tiny", "test", 3, 4, x, y));
    }

    private static List<int[]> rowsOf(DataSetIterator it) {
        List<int[]> out = new ArrayList<>();
        while (it.hasNext()) {
            DataSet ds = it.next();
            int b = (int) ds.getFeatures().size(0);
            int[] rows = new int[b];
            for (int i = 0; i < b; i++) {
                rows[i] = (int) ds.getFeatures().getFloat(i, 0);
                // the one-hot label belongs to the same row
                assertEquals(1f, ds.getLabels().getFloat(i, rows[i] % 4));
                assertEquals(1.0, ds.getLabels().getRow(i).sumNumber().doubleValue(), 0);
            }
            out.add(rows);
        }
        return out;
    }

    @Test
    void minibatchesAreSeededEpochsOverTheSubset() {
        Dl4jMnist d = tiny();
        int[] subset = {0, 2, 3, 5, 7, 9};
        List<int[]> a = rowsOf(d.minibatches(subset, 3, 4, 42));
        assertEquals(4, a.size());
        // each epoch (2 batches of 3) visits every subset row once
        for (int e = 0; e < 2; e++) {
            Set<Integer> seen = new HashSet<>();
            for (int k = 0; k < 2; k++) {
                for (int r : a.get(2 * e + k)) {
                    assertTrue(seen.add(r), "row " + r + " twice in epoch " + e);
                }
            }
            assertEquals(Set.of(0, 2, 3, 5, 7, 9), seen);
        }
        // same seed: same order; reset replays it; another seed: another order
        List<int[]> b = rowsOf(d.minibatches(subset, 3, 4, 42));
        DataSetIterator it = d.minibatches(subset, 3, 4, 42);
        rowsOf(it);
        it.reset();
        List<int[]> c = rowsOf(it);
        List<int[]> other = rowsOf(d.minibatches(subset, 3, 4, 43));
        boolean differs = false;
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(a.get(i), b.get(i));
            assertArrayEquals(a.get(i), c.get(i));
            differs |= !java.util.Arrays.equals(a.get(i), other.get(i));
        }
        assertTrue(differs);
    }

    @Test
    void splitIsADisjointCover() {
        int[][] s = tiny().split(3, 1);
        assertEquals(7, s[0].length);
        assertEquals(3, s[1].length);
        Set<Integer> all = new HashSet<>();
        for (int[] part : s) {
            for (int r : part) {
                assertTrue(all.add(r));
            }
        }
        assertEquals(10, all.size());
        assertArrayEquals(s[1], tiny().split(3, 1)[1]);
    }

    @Test
    void badArgumentsAreRejected() {
        Dl4jMnist d = tiny();
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> d.split(10, 1));
        assertTrue(e.getMessage().contains("[1, 9]"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> d.minibatches(new int[] {1, 2}, 3, 1, 0));
        assertTrue(e.getMessage().contains("batch size"), e.getMessage());
        DataSetIterator it = d.minibatches(new int[] {1, 2}, 2, 1, 0);
        it.next();
        assertFalse(it.hasNext());
        assertThrows(java.util.NoSuchElementException.class, it::next);
    }
}
