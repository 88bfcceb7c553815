package org.l2o4j.core.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StyleTaskTest {

    @ParameterizedTest
    @ValueSource(strings = {"content", "noise"})
    void gradientMatchesFiniteDifferencesOnAn8x8Image(String init) {
        StyleTaskFamily f =
                StyleTaskFamily.fromOptions(
                        Map.of(
                                "size", "8",
                                "init", init,
                                "content-weight", "3",
                                "style-weight", "200",
                                "tv-weight", "0.5"));
        StyleTask task = f.sample(4);
        assertEquals(192, task.dimension());
        MlpTaskTest.checkGradient(
                task, task.initialParameters(), 0, MlpTaskTest.all(task.dimension()));
    }

    @Test
    void eachTermAloneHasTheRightGradient() {
        for (String[] w : new String[][] {{"1", "0", "0"}, {"0", "1", "0"}, {"0", "0", "1"}}) {
            StyleTaskFamily f =
                    StyleTaskFamily.fromOptions(
                            Map.of(
                                    "size", "8",
                                    "content-weight", w[0],
                                    "style-weight", w[1],
                                    "tv-weight", w[2]));
            StyleTask task = f.sample(9);
            double[] x = task.initialParameters();
            assertTrue(task.loss(x, 0) > 0, f.name());
            MlpTaskTest.checkGradient(task, x, 0, MlpTaskTest.all(task.dimension()));
        }
    }

    /** A user-supplied network: the image itself as the only feature layer. */
    static final class IdentityNetwork implements FeatureNetwork {
        @Override
        public String name() {
            return "identity";
        }

        @Override
        public int layers() {
            return 1;
        }

        @Override
        public int channels(int l) {
            return 3;
        }

        @Override
        public int[] defaultStyleLayers() {
            return new int[] {0};
        }

        @Override
        public int defaultContentLayer() {
            return 0;
        }

        @Override
        public Pass pass(int height, int width) {
            double[] f = new double[3 * height * width];
            return new Pass() {
                @Override
                public int height(int l) {
                    return height;
                }

                @Override
                public int width(int l) {
                    return width;
                }

                @Override
                public void forward(double[] image) {
                    System.arraycopy(image, 0, f, 0, f.length);
                }

                @Override
                public double[] features(int l) {
                    return f;
                }

                @Override
                public void backward(double[][] dFeatures, double[] dImage) {
                    System.arraycopy(dFeatures[0], 0, dImage, 0, dImage.length);
                }
            };
        }
    }

    @Test
    void theFeatureNetworkIsPluggable() {
        StyleTaskFamily f =
                StyleTaskFamily.builder()
                        .size(8)
                        .network(new IdentityNetwork())
                        .contentWeight(1)
                        .styleWeight(0)
                        .tvWeight(0)
                        .build();
        assertTrue(f.name().contains("net=identity"), f.name());
        StyleTask t = f.sample(2);
        double[] x = t.initialParameters();
        double[] c = t.contentImage().data();
        double expected = 0;
        for (int i = 0; i < x.length; i++) {
            expected += (x[i] - c[i]) * (x[i] - c[i]);
        }
        assertEquals(expected / x.length, t.loss(x, 0), 1e-15);
        StyleTask s =
                StyleTaskFamily.builder()
                        .size(8)
                        .network(new IdentityNetwork())
                        .styleWeight(7)
                        .build()
                        .sample(2);
        MlpTaskTest.checkGradient(s, s.initialParameters(), 0, MlpTaskTest.all(s.dimension()));
    }

    @Test
    void sameSeedGivesTheSameLossAndGradientBits() {
        StyleTask a = StyleTaskFamily.fromOptions(Map.of()).sample(17);
        StyleTask b = StyleTaskFamily.fromOptions(Map.of()).sample(17);
        assertEquals(a.name(), b.name());
        double[] x = a.initialParameters();
        assertArrayEquals(x, b.initialParameters());
        double[] ga = new double[x.length];
        double[] gb = new double[x.length];
        double la = a.lossAndGradient(x, 0, ga);
        b.lossAndGradient(b.initialParameters(), 5, gb);
        double lb = b.lossAndGradient(x, 3, gb);
        assertEquals(Double.doubleToRawLongBits(la), Double.doubleToRawLongBits(lb));
        for (int i = 0; i < ga.length; i++) {
            assertEquals(Double.doubleToRawLongBits(ga[i]), Double.doubleToRawLongBits(gb[i]));
        }
        assertEquals(la, a.loss(x, 9));
    }

    @Test
    void seedsPickPairsFromTheChosenSets() {
        StyleTaskFamily test = StyleTaskFamily.fromOptions(Map.of("split", "test", "size", "8"));
        Set<String> styles = new HashSet<>();
        Set<String> contents = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            StyleTask t = test.sample(seed);
            styles.add(t.styleName());
            contents.add(t.contentName());
        }
        assertEquals(Set.copyOf(StyleImages.STYLE_TEST), styles);
        assertEquals(Set.copyOf(StyleImages.CONTENT_TEST), contents);
        StyleTaskFamily newStyles =
                StyleTaskFamily.fromOptions(Map.of("content", "train", "style", "test"));
        assertEquals(StyleImages.CONTENT_TRAIN, newStyles.contents());
        assertEquals(StyleImages.STYLE_TEST, newStyles.styles());
        StyleTask one =
                StyleTaskFamily.fromOptions(Map.of("content", "scene-2", "style", "Waves"))
                        .sample(123);
        assertEquals("scene-2", one.contentName());
        assertEquals("waves", one.styleName());
    }

    @Test
    void doubleResolutionHasFourTimesThePixels() {
        StyleTaskFamily f =
                assertInstanceOf(StyleTaskFamily.class, TaskFamilies.parse("style[resolution=2]"));
        assertEquals(64, f.side());
        assertEquals(3 * 64 * 64, f.sample(0).dimension());
        assertEquals(List.of("pixels"), f.sample(0).parameterGroups());
        assertTrue(TaskFamilies.names().contains("style"));
        // the loss is a mean: about the same scale at both resolutions
        double l1 = mean(StyleTaskFamily.fromOptions(Map.of()));
        double l2 = mean(f);
        assertTrue(l2 > l1 / 4 && l2 < l1 * 4, l1 + " vs " + l2);
    }

    private static double mean(StyleTaskFamily f) {
        double s = 0;
        for (long seed = 0; seed < 4; seed++) {
            StyleTask t = f.sample(seed);
            s += t.loss(t.initialParameters(), 0);
        }
        return s / 4;
    }

    @Test
    void badOptionValuesNameTheOptionWhatIsExpectedAndWhatWasFound() {
        assertMessage("style[size=10]", "size", "multiple of 4", "10");
        assertMessage("style[size=4]", "size", "[8, 256]", "4");
        assertMessage("style[resolution=3]", "resolution", "[1, 2]", "3");
        assertMessage("style[style=starry-night]", "style", "train, test", "waves", "starry-night");
        assertMessage("style[content=waves]", "content", "scene-1", "'waves'");
        assertMessage("style[content-weight=-1]", "content-weight", ">= 0", "'-1'");
        assertMessage("style[style-weight=lots]", "style-weight", "number", "'lots'");
        assertMessage("style[init=zeros]", "init", "content, noise", "'zeros'");
        assertMessage("style[split=val]", "split", "train, test", "'val'");
        assertMessage("style[channels=3]", "channels", "size", "style");
    }

    private static void assertMessage(String spec, String... parts) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> TaskFamilies.parse(spec));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void writesATaskImageAsPngAndReadsItBack(@TempDir Path dir) throws Exception {
        StyleTask t = StyleTaskFamily.fromOptions(Map.of()).sample(1);
        double[] x = t.initialParameters();
        x[0] = -3; // clamped
        x[1] = Double.NaN; // written as 0
        Path file = dir.resolve("sub/image.png");
        RgbImage.writePng(x, t.side(), t.side(), file);
        assertTrue(Files.size(file) > 100);
        RgbImage back = RgbImage.read(file);
        assertEquals(32, back.height());
        assertEquals(32, back.width());
        double[] d = back.data();
        assertEquals(0.0, d[0]);
        assertEquals(0.0, d[1]);
        for (int i = 2; i < x.length; i++) {
            double expected = Math.round(Math.min(1, Math.max(0, x[i])) * 255) / 255.0;
            assertEquals(expected, d[i], 1e-12, "value " + i);
        }
        try (var files = Files.list(dir.resolve("sub"))) {
            assertEquals(1, files.count(), "no temporary file left");
        }
    }

    @Test
    void resizeAveragesBoxesAndInterpolates() {
        SplittableRandom rng = new SplittableRandom(1);
        double[] d = new double[3 * 4 * 4];
        for (int i = 0; i < d.length; i++) {
            d[i] = rng.nextDouble();
        }
        RgbImage img = new RgbImage(4, 4, d);
        RgbImage half = img.resize(2, 2);
        assertEquals(
                (img.get(1, 2, 0) + img.get(1, 2, 1) + img.get(1, 3, 0) + img.get(1, 3, 1)) / 4,
                half.get(1, 1, 0),
                1e-15);
        RgbImage up = img.resize(8, 8);
        assertEquals(img.get(2, 0, 0), up.get(2, 0, 0), 1e-15);
        assertEquals(img.get(0, 3, 3), up.get(0, 7, 7), 1e-15);
        // output (3, 3) samples the input at (1.25, 1.25)
        double top = img.get(0, 1, 1) * 0.75 + img.get(0, 1, 2) * 0.25;
        double bottom = img.get(0, 2, 1) * 0.75 + img.get(0, 2, 2) * 0.25;
        assertEquals(top * 0.75 + bottom * 0.25, up.get(0, 3, 3), 1e-12);
    }
}
