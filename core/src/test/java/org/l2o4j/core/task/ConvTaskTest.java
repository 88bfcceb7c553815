package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.l2o4j.core.data.Split;

class ConvTaskTest {

    static ConvTaskFamily tiny(int blocks) {
        return ConvTaskFamily.fromOptions(
                Map.of(
                        "channels", "2",
                        "blocks", Integer.toString(blocks),
                        "batch", "2",
                        "data-dir", "bundled"));
    }

    /** A point away from the initial one: biases non-zero, so ReLU and pooling are exercised. */
    static double[] perturbed(Task task, long seed) {
        double[] theta = task.initialParameters();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < theta.length; i++) {
            theta[i] += 0.05 * rng.nextGaussian();
        }
        return theta;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void gradientMatchesFiniteDifferencesOnEveryCoordinate(int blocks) {
        ConvTask task = tiny(blocks).sample(5);
        double[] theta = perturbed(task, 11);
        MlpTaskTest.checkGradient(task, theta, 3, MlpTaskTest.all(task.dimension()));
    }

    @Test
    void dimensionAndLayoutOfTheDefaultNetwork() {
        ConvTaskFamily f = ConvTaskFamily.fromOptions(Map.of("data-dir", "bundled"));
        assertEquals("conv(dataset=mnist,split=train,channels=8,blocks=2,batch=128)", f.name());
        // conv1 8x1x3x3 + 8, conv2 8x8x3x3 + 8, dense 10 x (8*7*7) + 10
        assertEquals(80 + 584 + 3930, f.dimension());
        ConvTask t = f.sample(0);
        assertEquals(0, t.kernelOffset(0));
        assertEquals(72, t.biasOffset(0));
        assertEquals(80, t.kernelOffset(1));
        assertEquals(656, t.biasOffset(1));
        assertEquals(664, t.denseWeightOffset());
        assertEquals(664 + 3920, t.denseBiasOffset());
        double[] theta = t.initialParameters();
        double bound = Math.sqrt(6.0 / 9);
        for (int i = 0; i < 72; i++) {
            assertTrue(Math.abs(theta[i]) <= bound && theta[i] != 0, "kernel " + i);
        }
        for (int i = 72; i < 80; i++) {
            assertEquals(0.0, theta[i]);
        }
        // the initial loss is near log(10) for the classifier at initialization
        double loss = t.loss(theta, 0);
        assertTrue(loss > 1.0 && loss < 5.0, "initial loss " + loss);
    }

    @Test
    void sameSeedGivesTheSameLossAndGradientBits() {
        ConvTaskFamily f = tiny(2);
        ConvTask a = f.sample(42);
        ConvTask b = tiny(2).sample(42);
        assertArrayEquals(a.initialParameters(), b.initialParameters());
        double[] theta = perturbed(a, 1);
        double[] ga = new double[a.dimension()];
        double[] gb = new double[b.dimension()];
        for (long t : new long[] {0, 7, 3, 7}) {
            double la = a.lossAndGradient(theta, t, ga);
            b.lossAndGradient(theta, 99, gb); // another step first: no state carries over
            double lb = b.lossAndGradient(theta, t, gb);
            assertEquals(Double.doubleToRawLongBits(la), Double.doubleToRawLongBits(lb));
            for (int i = 0; i < ga.length; i++) {
                assertEquals(Double.doubleToRawLongBits(ga[i]), Double.doubleToRawLongBits(gb[i]));
            }
            assertEquals(la, a.loss(theta, t));
        }
        assertNotEquals(
                Arrays.toString(a.initialParameters()),
                Arrays.toString(f.sample(43).initialParameters()));
        assertNotEquals(Arrays.toString(a.minibatchRows(0)), Arrays.toString(a.minibatchRows(1)));
    }

    @Test
    void minibatchesAreThoseOfTheMlpTaskOfTheSameSeed() {
        ConvTask c = ConvTaskFamily.fromOptions(Map.of("data-dir", "bundled")).sample(9);
        MlpTask m =
                MlpTaskFamily.builder().dataDir(java.nio.file.Path.of("bundled")).build().sample(9);
        assertArrayEquals(m.minibatchRows(4), c.minibatchRows(4));
    }

    @Test
    void parameterGroupsLabelKernelsBiasesAndDenseLayers() {
        ConvTask t = ConvTaskFamily.fromOptions(Map.of("data-dir", "bundled")).sample(0);
        assertEquals(
                java.util.List.of("conv-kernels", "conv-biases", "dense-weights", "dense-biases"),
                t.parameterGroups());
        int[] labels = t.parameterGroupLabels();
        assertEquals(t.dimension(), labels.length);
        int[] counts = new int[4];
        for (int l : labels) {
            counts[l]++;
        }
        assertArrayEquals(new int[] {72 + 576, 16, 3920, 10}, counts);
        assertEquals(1, labels[t.biasOffset(1)]);
        assertEquals(0, labels[t.kernelOffset(1)]);
    }

    @Test
    void specOptionsAreParsedAndRegistered() {
        ConvTaskFamily f =
                assertInstanceOf(
                        ConvTaskFamily.class,
                        TaskFamilies.parse(
                                "conv[dataset=fashion-mnist,channels=16,blocks=1,batch=64,"
                                        + "split=test,data-dir=bundled]"));
        assertEquals(16, f.channels());
        assertEquals(1, f.blocks());
        assertEquals(64, f.batchSize());
        assertEquals(Split.TEST, f.split());
        assertEquals(1000, f.data().rows());
        assertTrue(f.name().contains("fashion-mnist"), f.name());
        assertTrue(TaskFamilies.names().contains("conv"));
    }

    @Test
    void badOptionValuesNameTheOptionWhatIsExpectedAndWhatWasFound() {
        assertMessage("conv[channels=0,data-dir=bundled]", "channels", "[1, 256]", "0");
        assertMessage("conv[channels=many,data-dir=bundled]", "channels", "integer", "'many'");
        assertMessage("conv[blocks=3,data-dir=bundled]", "blocks", "[1, 2]", "3");
        assertMessage("conv[batch=-1,data-dir=bundled]", "batch", ">= 1", "-1");
        assertMessage("conv[batch=9000,data-dir=bundled]", "batch", "8000", "9000");
        assertMessage("conv[dataset=cifar10]", "dataset", "fashion-mnist", "'cifar10'");
        assertMessage("conv[split=val]", "split", "train, test", "'val'");
        assertMessage("conv[hidden=3]", "hidden", "channels", "conv");
    }

    private static void assertMessage(String spec, String... parts) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TaskFamilies.parse(spec));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void im2colAndCol2imAreAdjoint() {
        SplittableRandom rng = new SplittableRandom(3);
        int c = 2;
        int s = 6;
        double[] x = new double[c * s * s];
        double[] y = new double[c * 9 * s * s];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian();
        }
        for (int i = 0; i < y.length; i++) {
            y[i] = rng.nextGaussian();
        }
        double[] col = new double[y.length];
        ConvTask.im2col(x, c, s, col);
        double[] back = new double[x.length];
        ConvTask.col2im(y, c, s, back);
        double lhs = 0;
        for (int i = 0; i < y.length; i++) {
            lhs += col[i] * y[i];
        }
        double rhs = 0;
        for (int i = 0; i < x.length; i++) {
            rhs += x[i] * back[i];
        }
        assertEquals(lhs, rhs, 1e-12 * Math.abs(lhs) + 1e-12);
    }

    @ParameterizedTest
    @ValueSource(ints = {49, 196, 784, 3})
    void vectorAndScalarConvolutionsGiveTheSameBits(int hw) {
        SplittableRandom rng = new SplittableRandom(hw);
        for (int channels : new int[] {8, 3}) {
            int n = 2 * 9 + 1;
            double[] theta = new double[5 + channels * n];
            double[] col = new double[n * hw];
            for (int i = 0; i < theta.length; i++) {
                theta[i] = rng.nextGaussian();
            }
            for (int i = 0; i < col.length; i++) {
                col[i] = rng.nextGaussian();
            }
            double[] a = new double[channels * hw];
            double[] b = new double[channels * hw];
            ConvKernel.SCALAR.convolve(theta, 5, channels, n, col, hw, a);
            ConvKernel.SELECTED.convolve(theta, 5, channels, n, col, hw, b);
            for (int i = 0; i < a.length; i++) {
                assertEquals(
                        Double.doubleToRawLongBits(a[i]),
                        Double.doubleToRawLongBits(b[i]),
                        ConvKernel.SELECTED.describe() + " output " + i);
            }
            // against the definition
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < hw; p++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += theta[5 + c * n + i] * col[i * hw + p];
                    }
                    assertEquals(sum, a[c * hw + p], 1e-12 * n);
                }
            }
        }
    }
}
