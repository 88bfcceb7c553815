package org.l2o4j.core.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Generates the shipped content and style images of the {@code style} task ({@code
 * core/src/main/resources/org/l2o4j/style/}, see the README there). Every image is a function of
 * its name: fixed seeds, {@code StrictMath}. {@code StyleImagesTest} checks that the shipped PNGs
 * are this generator's output.
 *
 * <pre>
 * ./mvnw -q -pl core test-compile
 * java -cp core/target/classes:core/target/test-classes org.l2o4j.core.task.StyleImageGenerator \
 *     core/src/main/resources/org/l2o4j/style
 * </pre>
 */
public final class StyleImageGenerator {

    private StyleImageGenerator() {}

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "core/src/main/resources/org/l2o4j/style");
        int n = StyleImages.SIDE;
        for (String name : concat(StyleImages.CONTENT_TRAIN, StyleImages.CONTENT_TEST)) {
            generate(name, n).writePng(root.resolve("content").resolve(name + ".png"));
        }
        for (String name : concat(StyleImages.STYLE_TRAIN, StyleImages.STYLE_TEST)) {
            generate(name, n).writePng(root.resolve("styles").resolve(name + ".png"));
        }
    }

    private static java.util.List<String> concat(
            java.util.List<String> a, java.util.List<String> b) {
        java.util.List<String> l = new java.util.ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    /** A pixel function: RGB in [0, 1] at {@code (u, v)} in [0, 1)^2 (u right, v down). */
    private interface Shader {
        double[] at(double u, double v);
    }

    /** The image {@code name} at {@code side x side}. */
    public static RgbImage generate(String name, int side) {
        Shader s = shader(name);
        double[] d = new double[3 * side * side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                double[] rgb = s.at((x + 0.5) / side, (y + 0.5) / side);
                for (int c = 0; c < 3; c++) {
                    d[(c * side + y) * side + x] = Math.min(1, Math.max(0, rgb[c]));
                }
            }
        }
        return new RgbImage(side, side, d);
    }

    private static double[] rgb(int hex) {
        return new double[] {
            ((hex >> 16) & 0xFF) / 255.0, ((hex >> 8) & 0xFF) / 255.0, (hex & 0xFF) / 255.0
        };
    }

    private static double[] mix(double[] a, double[] b, double t) {
        return new double[] {
            a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t
        };
    }

    private static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }

    /** Smooth value noise on a {@code cells x cells} periodic lattice, in [0, 1]. */
    private static Shader valueNoise(long seed, int cells) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] g = new double[cells * cells];
        for (int i = 0; i < g.length; i++) {
            g[i] = r.nextDouble();
        }
        return (u, v) -> {
            double fx = u * cells;
            double fy = v * cells;
            int x0 = (int) StrictMath.floor(fx);
            int y0 = (int) StrictMath.floor(fy);
            double tx = smooth(fx - x0);
            double ty = smooth(fy - y0);
            int x1 = (x0 + 1) % cells;
            int y1 = (y0 + 1) % cells;
            x0 %= cells;
            y0 %= cells;
            double a = g[y0 * cells + x0] + (g[y0 * cells + x1] - g[y0 * cells + x0]) * tx;
            double b = g[y1 * cells + x0] + (g[y1 * cells + x1] - g[y1 * cells + x0]) * tx;
            double n = a + (b - a) * ty;
            return new double[] {n, n, n};
        };
    }

    private static Shader shader(String name) {
        switch (name) {
            // --- training styles
            case "stripes":
                return (u, v) -> {
                    double t = StrictMath.sin(2 * StrictMath.PI * 6 * (u + v) / StrictMath.sqrt(2));
                    return t > 0 ? rgb(0x1F3A93) : rgb(0xF5D76E);
                };
            case "checkers":
                return (u, v) -> {
                    double a = StrictMath.toRadians(20);
                    double x = u * StrictMath.cos(a) - v * StrictMath.sin(a);
                    double y = u * StrictMath.sin(a) + v * StrictMath.cos(a);
                    long k = (long) StrictMath.floor(x * 8) + (long) StrictMath.floor(y * 8);
                    return (k & 1) == 0 ? rgb(0x222222) : rgb(0xE74C3C);
                };
            case "blobs":
                {
                    Shader n = valueNoise(11, 6);
                    return (u, v) -> {
                        double t = n.at(u, v)[0];
                        return t > 0.55 ? rgb(0x2ECC71) : t > 0.4 ? rgb(0xF1C40F) : rgb(0x5B2C6F);
                    };
                }
            case "voronoi":
                return voronoi(21, 14, false);
            case "waves":
                return (u, v) -> {
                    double t =
                            0.5
                                    + 0.25 * StrictMath.sin(2 * StrictMath.PI * (5 * u + 2 * v))
                                    + 0.25 * StrictMath.sin(2 * StrictMath.PI * (-3 * u + 4 * v));
                    return mix(rgb(0x0B3C5D), rgb(0x9BE1F2), t);
                };
            case "dots":
                return (u, v) -> {
                    double fx = u * 7 - StrictMath.floor(u * 7) - 0.5;
                    double fy = v * 7 - StrictMath.floor(v * 7) - 0.5;
                    return fx * fx + fy * fy < 0.09 ? rgb(0xFFFFFF) : rgb(0xC0392B);
                };
            case "crosshatch":
                return (u, v) -> {
                    boolean a = StrictMath.sin(2 * StrictMath.PI * 10 * (u + v)) > 0.6;
                    boolean b = StrictMath.sin(2 * StrictMath.PI * 10 * (u - v)) > 0.6;
                    return a || b ? rgb(0x3E2723) : rgb(0xEFEBE9);
                };
            case "gradient-noise":
                {
                    Shader n = valueNoise(5, 16);
                    return (u, v) -> {
                        double t = 0.6 * u + 0.4 * n.at(u, v)[0];
                        return mix(rgb(0xFF5E3A), rgb(0x2E1A47), t);
                    };
                }
            // --- test styles
            case "rings":
                return (u, v) -> {
                    double r = StrictMath.hypot(u - 0.4, v - 0.55);
                    double t = 0.5 + 0.5 * StrictMath.sin(2 * StrictMath.PI * 9 * r);
                    return mix(rgb(0x004D40), rgb(0xFFCC80), t);
                };
            case "zigzag":
                return (u, v) -> {
                    double tri = StrictMath.abs(u * 8 - StrictMath.floor(u * 8) - 0.5);
                    double t = v * 6 + tri;
                    return ((long) StrictMath.floor(t * 2) & 1) == 0
                            ? rgb(0x6A1B9A)
                            : rgb(0xA5D6A7);
                };
            case "plaid":
                return (u, v) -> {
                    double a = 0.5 + 0.5 * StrictMath.sin(2 * StrictMath.PI * 4 * u);
                    double b = 0.5 + 0.5 * StrictMath.sin(2 * StrictMath.PI * 4 * v);
                    double[] base = mix(rgb(0x1B5E20), rgb(0xB71C1C), 0.5 * (a + b));
                    boolean line =
                            StrictMath.abs(u * 8 - StrictMath.rint(u * 8)) < 0.06
                                    || StrictMath.abs(v * 8 - StrictMath.rint(v * 8)) < 0.06;
                    return line ? rgb(0xFFEB3B) : base;
                };
            case "mosaic":
                {
                    SplittableRandom r = new SplittableRandom(31);
                    int cells = 8;
                    double[][] colours = new double[cells * cells][];
                    int[] palette = {0x0D47A1, 0x00897B, 0xFDD835, 0xF4511E, 0xECEFF1};
                    for (int i = 0; i < colours.length; i++) {
                        colours[i] = rgb(palette[r.nextInt(palette.length)]);
                    }
                    return (u, v) -> {
                        double fx = u * cells;
                        double fy = v * cells;
                        int cx = (int) fx;
                        int cy = (int) fy;
                        double ex = fx - cx;
                        double ey = fy - cy;
                        if (ex < 0.12 || ey < 0.12) {
                            return rgb(0x263238); // grout
                        }
                        return colours[cy * cells + cx];
                    };
                }
            default:
                if (name.startsWith("scene-")) {
                    return scene(Integer.parseInt(name.substring(6)));
                }
                throw new IllegalArgumentException("no generator for image '" + name + "'");
        }
    }

    /** Cells of the nearest of {@code points} random sites, each with a random colour. */
    private static Shader voronoi(long seed, int points, boolean edges) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] px = new double[points];
        double[] py = new double[points];
        double[][] colour = new double[points][];
        for (int i = 0; i < points; i++) {
            px[i] = r.nextDouble();
            py[i] = r.nextDouble();
            colour[i] = mix(rgb(0x8E44AD), rgb(0xF39C12), r.nextDouble());
        }
        return (u, v) -> {
            int best = 0;
            double d1 = Double.MAX_VALUE;
            double d2 = Double.MAX_VALUE;
            for (int i = 0; i < points; i++) {
                // periodic distance, so the texture tiles
                double dx = StrictMath.abs(u - px[i]);
                double dy = StrictMath.abs(v - py[i]);
                dx = StrictMath.min(dx, 1 - dx);
                dy = StrictMath.min(dy, 1 - dy);
                double d = dx * dx + dy * dy;
                if (d < d1) {
                    d2 = d1;
                    d1 = d;
                    best = i;
                } else if (d < d2) {
                    d2 = d;
                }
            }
            boolean edge = StrictMath.sqrt(d2) - StrictMath.sqrt(d1) < 0.015;
            return edge ? rgb(0x1C1C1C) : colour[best];
        };
    }

    /** A simple scene: sky gradient, ground, a sun, a house and a tree, placed by the seed. */
    private static Shader scene(int seed) {
        SplittableRandom r = new SplittableRandom(1000 + seed);
        double horizon = 0.55 + 0.15 * r.nextDouble();
        double[] skyTop = mix(rgb(0x1565C0), rgb(0xFF7043), r.nextDouble() * 0.6);
        double[] skyLow = mix(rgb(0xBBDEFB), rgb(0xFFE0B2), r.nextDouble());
        double[] ground = mix(rgb(0x2E7D32), rgb(0x8D6E63), r.nextDouble());
        double sunX = 0.15 + 0.7 * r.nextDouble();
        double sunY = 0.12 + 0.25 * r.nextDouble();
        double sunR = 0.07 + 0.06 * r.nextDouble();
        double[] sun = mix(rgb(0xFFF176), rgb(0xFFFFFF), r.nextDouble());
        double houseX = 0.1 + 0.45 * r.nextDouble();
        double houseW = 0.2 + 0.15 * r.nextDouble();
        double houseH = 0.15 + 0.12 * r.nextDouble();
        double[] wall = mix(rgb(0xD7CCC8), rgb(0x90A4AE), r.nextDouble());
        double[] roof = mix(rgb(0xB71C1C), rgb(0x4E342E), r.nextDouble());
        double treeX = houseX + houseW + 0.08 + 0.2 * r.nextDouble();
        double treeR = 0.07 + 0.05 * r.nextDouble();
        return (u, v) -> {
            double[] c =
                    v < horizon
                            ? mix(skyTop, skyLow, v / horizon)
                            : mix(ground, rgb(0x1B1B1B), 0.5 * (v - horizon) / (1 - horizon));
            if (StrictMath.hypot(u - sunX, v - sunY) < sunR) {
                c = sun;
            }
            double base = horizon + 0.08;
            double top = base - houseH;
            if (u >= houseX && u <= houseX + houseW && v <= base && v >= top) {
                c = wall;
                double doorL = houseX + 0.4 * houseW;
                if (u >= doorL && u <= doorL + 0.2 * houseW && v >= base - 0.5 * houseH) {
                    c = rgb(0x3E2723);
                }
            }
            double half = houseW / 2 + 0.03;
            double mid = houseX + houseW / 2;
            double peak = top - 0.6 * houseW / 2;
            if (v < top
                    && v >= peak
                    && StrictMath.abs(u - mid) <= half * (v - peak) / (top - peak)) {
                c = roof;
            }
            if (treeX < 0.97) {
                if (StrictMath.abs(u - treeX) < 0.02 && v <= base && v > base - 0.12) {
                    c = rgb(0x5D4037);
                }
                if (StrictMath.hypot(u - treeX, v - (base - 0.12 - treeR * 0.8)) < treeR) {
                    c = rgb(0x1B5E20);
                }
            }
            return c;
        };
    }
}
