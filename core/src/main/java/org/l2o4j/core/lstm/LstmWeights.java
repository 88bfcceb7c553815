package org.l2o4j.core.lstm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The parameters (phi) of a coordinatewise LSTM optimizer, as one flat float array in a canonical
 * order, plus free-form provenance metadata.
 *
 * <p>Canonical order, which the kernel, the meta-trainer and the weight file share: for each layer
 * {@code l}: {@code weight_ih} [4H x in_l] row-major, {@code weight_hh} [4H x H] row-major, {@code
 * bias} [4H]; then the output layer's {@code weight} [H] and {@code bias} [1]. Gate rows are in
 * PyTorch's order i, f, g, o: rows {@code [0,H)} are the input gate, {@code [H,2H)} the forget
 * gate, {@code [2H,3H)} the cell candidate, {@code [3H,4H)} the output gate.
 *
 * <p>Instances are immutable: {@link #parameters()} returns a copy.
 */
public final class LstmWeights {
    private final LstmConfig config;
    private final float[] params;
    private final Map<String, String> metadata;

    /**
     * @param config the architecture
     * @param params the flat parameters in canonical order (copied)
     * @param metadata provenance (copied; may be empty)
     * @throws IllegalArgumentException if {@code params.length != config.numParameters()} or a
     *     parameter is not finite
     */
    public LstmWeights(LstmConfig config, float[] params, Map<String, String> metadata) {
        this.config = Objects.requireNonNull(config, "config");
        if (params.length != config.numParameters()) {
            throw new IllegalArgumentException(
                    "Architecture "
                            + config
                            + " has "
                            + config.numParameters()
                            + " parameters but "
                            + params.length
                            + " were given");
        }
        for (int i = 0; i < params.length; i++) {
            if (!Float.isFinite(params[i])) {
                throw new IllegalArgumentException(
                        "Optimizer parameter " + i + " must be finite but is " + params[i]);
            }
        }
        this.params = params.clone();
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /** Weights without metadata. */
    public LstmWeights(LstmConfig config, float[] params) {
        this(config, params, Map.of());
    }

    /** The architecture. */
    public LstmConfig config() {
        return config;
    }

    /** A copy of the flat parameters in canonical order. */
    public float[] parameters() {
        return params.clone();
    }

    /** The parameter at a flat index (no copy). */
    public float parameter(int index) {
        return params[index];
    }

    /** Provenance metadata (unmodifiable). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** A copy with other metadata. */
    public LstmWeights withMetadata(Map<String, String> newMetadata) {
        return new LstmWeights(config, params, newMetadata);
    }

    /**
     * The weights of {@code from} with its features widened to {@code to}: the same architecture
     * (cell, layers, units, activation, head, log-sign p, output scale) except the features. Every
     * feature of the old set must be in {@code to}, at any position; the first layer's input
     * weights ({@code mlp.0.weight} [H x in] of the {@link CellType#MLP} cell, {@code
     * gru.0.weight_ih} [3H x in] of the {@link CellType#GRU} cell) keep each old column's weights
     * in that feature's new columns and give the new columns zero weights; every other tensor is
     * copied unchanged, and so is the metadata. The widened optimizer's updates are then the old
     * one's bit for bit (a zero weight adds exactly 0 to each unit's sum), until training moves the
     * new weights, if the old features keep their relative order in {@code to}; reordered, the
     * first layer sums the same terms in another order, so the updates differ by float rounding.
     * {@code to} equal to the old set gives equal weights.
     *
     * @throws IllegalArgumentException if {@code from} is an {@link CellType#LSTM} (its input is
     *     its preprocessing, a fixed layout) or {@code to} lacks one of the old features
     */
    public static LstmWeights widenFeatures(LstmWeights from, FeatureSet to) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        LstmConfig oc = from.config();
        FeatureSet old = oc.features();
        if (oc.cell() != CellType.MLP && oc.cell() != CellType.GRU) {
            throw new IllegalArgumentException(
                    "widening the features to "
                            + to.id()
                            + " needs an mlp or gru cell but the weights are "
                            + oc
                            + " (the lstm's input is its preprocessing, log-sign or grad, a fixed"
                            + " layout)");
        }
        int[] newStart = newStarts(old, to);
        LstmConfig nc = oc.toBuilder().features(to).build();
        float[] dst = new float[nc.numParameters()];
        List<TensorSpec> os = tensorSpecs(oc);
        List<TensorSpec> ns = tensorSpecs(nc);
        for (int t = 0; t < os.size(); t++) {
            TensorSpec a = os.get(t);
            TensorSpec b = ns.get(t);
            if (t > 0) {
                System.arraycopy(from.params, a.offset, dst, b.offset, a.size());
                continue;
            }
            // the first layer's input weights [rows x in], row-major: remap the columns
            int rows = a.shape[0];
            int oldIn = a.shape[1];
            int newIn = b.shape[1];
            for (int r = 0; r < rows; r++) {
                int oldCol = 0;
                for (int i = 0; i < newStart.length; i++) {
                    int n = old.features().get(i).columns();
                    System.arraycopy(
                            from.params,
                            a.offset + r * oldIn + oldCol,
                            dst,
                            b.offset + r * newIn + newStart[i],
                            n);
                    oldCol += n;
                }
            }
        }
        return new LstmWeights(nc, dst, from.metadata);
    }

    /**
     * The column in {@code to}'s first-layer input of each feature of {@code old}.
     *
     * @throws IllegalArgumentException naming the old features {@code to} lacks
     */
    private static int[] newStarts(FeatureSet old, FeatureSet to) {
        int[] newStart = new int[old.features().size()];
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < newStart.length; i++) {
            FeatureSet.Feature f = old.features().get(i);
            int col = 0;
            newStart[i] = -1;
            for (FeatureSet.Feature g : to.features()) {
                if (g.equals(f)) {
                    newStart[i] = col;
                    break;
                }
                col += g.columns();
            }
            if (newStart[i] < 0) {
                missing.add(f.id());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "widening the features "
                            + old.id()
                            + " to "
                            + to.id()
                            + ": the new set must keep every old feature but lacks "
                            + String.join(", ", missing));
        }
        return newStart;
    }

    /**
     * Which of the flat parameters of {@code widened} (an {@link CellType#MLP} or {@link
     * CellType#GRU} config) are the first layer's input weights of the columns that {@link
     * #widenFeatures} added to {@code old}: the weights {@code meta-train --train-only
     * new-features} trains. Every other parameter (the old columns, biases, later layers, the head)
     * is false.
     *
     * @throws IllegalArgumentException if {@code widened}'s features lack one of {@code old}'s
     */
    public static boolean[] newFeatureParameters(FeatureSet old, LstmConfig widened) {
        int[] newStart = newStarts(old, widened.features());
        boolean[] mask = new boolean[widened.numParameters()];
        TensorSpec first = tensorSpecs(widened).get(0);
        int rows = first.shape[0];
        int in = first.shape[1];
        boolean[] oldCol = new boolean[in];
        for (int i = 0; i < newStart.length; i++) {
            int n = old.features().get(i).columns();
            for (int c = 0; c < n; c++) {
                oldCol[newStart[i] + c] = true;
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < in; c++) {
                mask[first.offset + r * in + c] = !oldCol[c];
            }
        }
        return mask;
    }

    /** Offset of layer {@code l}'s {@code weight_ih} in the flat array. */
    public static int weightIhOffset(LstmConfig c, int l) {
        int off = 0;
        for (int k = 0; k < l; k++) {
            off += 4 * c.hidden() * (c.layerInputSize(k) + c.hidden() + 1);
        }
        return off;
    }

    /** Offset of layer {@code l}'s {@code weight_hh}. */
    public static int weightHhOffset(LstmConfig c, int l) {
        return weightIhOffset(c, l) + 4 * c.hidden() * c.layerInputSize(l);
    }

    /** Offset of layer {@code l}'s {@code bias}. */
    public static int biasOffset(LstmConfig c, int l) {
        return weightHhOffset(c, l) + 4 * c.hidden() * c.hidden();
    }

    /** Offset of the output layer's weight [H]; its bias follows at {@code + H}. */
    public static int outputWeightOffset(LstmConfig c) {
        if (c.cell() == CellType.MLP) {
            return mlpWeightOffset(c, c.layers());
        }
        if (c.cell() == CellType.GRU) {
            return gruWeightIhOffset(c, c.layers());
        }
        return weightIhOffset(c, c.layers());
    }

    /**
     * Offset of the {@link CellType#MLP} cell's layer {@code l} weight [H x in_l] (row-major); its
     * bias [H] follows at {@code + H * in_l}.
     */
    public static int mlpWeightOffset(LstmConfig c, int l) {
        int off = 0;
        for (int k = 0; k < l; k++) {
            off += c.hidden() * (c.layerInputSize(k) + 1);
        }
        return off;
    }

    /**
     * Offset of the {@link CellType#GRU} cell's layer {@code l} {@code weight_ih} [3H x in_l];
     * {@code weight_hh} [3H x H], {@code bias_ih} [3H] and {@code bias_hh} [3H] follow.
     */
    public static int gruWeightIhOffset(LstmConfig c, int l) {
        int off = 0;
        for (int k = 0; k < l; k++) {
            off += 3 * c.hidden() * (c.layerInputSize(k) + c.hidden() + 2);
        }
        return off;
    }

    /** Offset of the {@link CellType#MLP} cell's layer {@code l} bias [H]. */
    public static int mlpBiasOffset(LstmConfig c, int l) {
        return mlpWeightOffset(c, l) + c.hidden() * c.layerInputSize(l);
    }

    /** One named tensor of the canonical layout: name, shape, offset into the flat array. */
    public static final class TensorSpec {
        /** The tensor's name in weight files, e.g. {@code lstm.0.weight_ih}. */
        public final String name;

        /** Its shape. */
        public final int[] shape;

        /** Its offset in the flat array. */
        public final int offset;

        TensorSpec(String name, int[] shape, int offset) {
            this.name = name;
            this.shape = shape;
            this.offset = offset;
        }

        /** Number of elements. */
        public int size() {
            int s = 1;
            for (int d : shape) {
                s *= d;
            }
            return s;
        }
    }

    /**
     * The named tensors of an architecture, in canonical order: {@code lstm.L.weight_ih}, {@code
     * lstm.L.weight_hh}, {@code lstm.L.bias} for each layer, {@code output.weight} [1 x H], {@code
     * output.bias} [1]. For the {@link CellType#MLP} cell: {@code mlp.L.weight} [H x in_L] and
     * {@code mlp.L.bias} [H] for each layer, then the same output tensors.
     */
    public static List<TensorSpec> tensorSpecs(LstmConfig c) {
        List<TensorSpec> specs = new ArrayList<>();
        int h = c.hidden();
        if (c.cell() == CellType.GRU) {
            for (int l = 0; l < c.layers(); l++) {
                int in = c.layerInputSize(l);
                int o = gruWeightIhOffset(c, l);
                specs.add(new TensorSpec("gru." + l + ".weight_ih", new int[] {3 * h, in}, o));
                o += 3 * h * in;
                specs.add(new TensorSpec("gru." + l + ".weight_hh", new int[] {3 * h, h}, o));
                o += 3 * h * h;
                specs.add(new TensorSpec("gru." + l + ".bias_ih", new int[] {3 * h}, o));
                specs.add(new TensorSpec("gru." + l + ".bias_hh", new int[] {3 * h}, o + 3 * h));
            }
            int out = outputWeightOffset(c);
            specs.add(new TensorSpec("output.weight", new int[] {1, h}, out));
            specs.add(new TensorSpec("output.bias", new int[] {1}, out + h));
            return specs;
        }
        if (c.cell() == CellType.MLP) {
            for (int l = 0; l < c.layers(); l++) {
                specs.add(
                        new TensorSpec(
                                "mlp." + l + ".weight",
                                new int[] {h, c.layerInputSize(l)},
                                mlpWeightOffset(c, l)));
                specs.add(new TensorSpec("mlp." + l + ".bias", new int[] {h}, mlpBiasOffset(c, l)));
            }
            int out = outputWeightOffset(c);
            specs.add(new TensorSpec("output.weight", new int[] {1, h}, out));
            specs.add(new TensorSpec("output.bias", new int[] {1}, out + h));
            return specs;
        }
        for (int l = 0; l < c.layers(); l++) {
            specs.add(
                    new TensorSpec(
                            "lstm." + l + ".weight_ih",
                            new int[] {4 * h, c.layerInputSize(l)},
                            weightIhOffset(c, l)));
            specs.add(
                    new TensorSpec(
                            "lstm." + l + ".weight_hh",
                            new int[] {4 * h, h},
                            weightHhOffset(c, l)));
            specs.add(new TensorSpec("lstm." + l + ".bias", new int[] {4 * h}, biasOffset(c, l)));
        }
        int out = outputWeightOffset(c);
        specs.add(new TensorSpec("output.weight", new int[] {1, h}, out));
        specs.add(new TensorSpec("output.bias", new int[] {1}, out + h));
        return specs;
    }
}
