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
