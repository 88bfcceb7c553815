package org.l2o4j.core.lstm;

import java.util.Objects;

/**
 * The architecture of a coordinatewise LSTM optimizer: one small network shared by every
 * coordinate, with its own hidden state per coordinate (Andrychowicz et al. 2016).
 *
 * <p>Immutable and validated on {@link Builder#build()}. Defaults are the paper's: 2 layers of 20
 * units, log-sign preprocessing with p = 10, output scale 0.1.
 *
 * <p>Per coordinate and step: {@code x = preprocess(grad)}; for each layer {@code z = W_ih x + W_hh
 * h + b}, {@code i, f, o = sigmoid(z_i, z_f, z_o)}, {@code g = tanh(z_g)}, {@code c = f c + i g},
 * {@code h = o tanh(c)}, {@code x = h}; then {@code update = scale * (w . h_L + b)}, added to the
 * parameter (see {@link org.l2o4j.core.optim.UpdateRule} for the sign convention).
 *
 * <p>The same config describes the other cells of "input features -> cell -> output head": with
 * {@link CellType#MLP}, {@code layers} hidden layers of {@code hidden} units ({@link
 * CellActivation}) map the {@link FeatureSet}'s columns {@code x} to {@code h_L} with no
 * recurrence, {@code h_l = act(W_l h_{l-1} + b_l)}, and the {@link OutputHead} makes the update as
 * above. The MLP's per-coordinate state is only its features' running statistics ({@link
 * FeatureSet#stateRows()}). For the LSTM the features are its preprocessing ({@link
 * FeatureSet#LOG_SIGN} or {@link FeatureSet#GRAD}).
 */
public final class LstmConfig {
    /** The smallest output scale accepted. */
    public static final double MIN_OUTPUT_SCALE = 1e-8;

    /** The largest output scale accepted. */
    public static final double MAX_OUTPUT_SCALE = 100;

    /** The largest log-sign p accepted ({@code e^p} must fit a float); the smallest is above 0. */
    public static final double MAX_LOG_SIGN_P = 80;

    /** Number of stacked LSTM layers (>= 1). */
    private final int layers;

    /** Hidden units per layer (>= 1). */
    private final int hidden;

    /** The recurrent cell. */
    private final CellType cell;

    /** Input preprocessing. */
    private final Preprocessing preprocessing;

    /** Parameter p of log-sign preprocessing (ignored for {@link Preprocessing#NONE}). */
    private final double logSignP;

    /** The fixed multiplier of the network's output. */
    private final double outputScale;

    /** The input features (for the LSTM: its preprocessing's). */
    private final FeatureSet features;

    /** The MLP's hidden activation (RELU for the LSTM, which ignores it). */
    private final CellActivation activation;

    /** The output head. */
    private final OutputHead head;

    private LstmConfig(Builder b) {
        this.layers = b.layers;
        this.hidden = b.hidden;
        this.cell = b.cell;
        this.preprocessing = b.preprocessing;
        this.logSignP = b.logSignP;
        this.outputScale = b.outputScale;
        this.features = b.features;
        this.activation = b.activation;
        this.head = b.head;
    }

    /** A builder with the paper's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The paper's architecture: 2 x 20 LSTM, log-sign p = 10, scale 0.1. */
    public static LstmConfig paperDefaults() {
        return builder().build();
    }

    /** A builder initialised from this config. */
    public Builder toBuilder() {
        return new Builder()
                .layers(layers)
                .hidden(hidden)
                .cell(cell)
                .preprocessing(preprocessing)
                .logSignP(logSignP)
                .outputScale(outputScale)
                .features(cell == CellType.LSTM ? null : features)
                .activation(activation)
                .head(head);
    }

    /** Number of LSTM layers. */
    public int layers() {
        return layers;
    }

    /** Hidden units per layer. */
    public int hidden() {
        return hidden;
    }

    /** The cell type. */
    public CellType cell() {
        return cell;
    }

    /** The input preprocessing. */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** p of the log-sign preprocessing. */
    public double logSignP() {
        return logSignP;
    }

    /** The output scale. */
    public double outputScale() {
        return outputScale;
    }

    /** The input features. */
    public FeatureSet features() {
        return features;
    }

    /** The MLP cell's hidden activation. */
    public CellActivation activation() {
        return activation;
    }

    /** The output head. */
    public OutputHead head() {
        return head;
    }

    /** Whether this is today's architecture family: an LSTM with the linear head. */
    public boolean isLstm() {
        return cell == CellType.LSTM;
    }

    /** Input columns per coordinate (1 or 2 for the LSTM). */
    public int inputFeatures() {
        return cell == CellType.LSTM ? preprocessing.features() : features.columns();
    }

    /** Input size of layer {@code l}. */
    public int layerInputSize(int l) {
        return l == 0 ? inputFeatures() : hidden;
    }

    /**
     * Floats of state per coordinate: (h, c) for each layer, {@code 2 * hidden * layers}, for the
     * LSTM; the features' running statistics for the MLP.
     */
    public int stateSizePerCoordinate() {
        if (cell == CellType.MLP) {
            return features.stateRows();
        }
        if (cell == CellType.GRU) {
            return features.stateRows() + hidden * layers;
        }
        return 2 * hidden * layers;
    }

    /** Total number of trainable parameters (all layers plus the output layer). */
    public int numParameters() {
        int n = 0;
        if (cell == CellType.MLP) {
            for (int l = 0; l < layers; l++) {
                n += hidden * (layerInputSize(l) + 1);
            }
            return n + hidden + 1;
        }
        if (cell == CellType.GRU) {
            for (int l = 0; l < layers; l++) {
                n += 3 * hidden * (layerInputSize(l) + hidden + 2);
            }
            return n + hidden + 1;
        }
        for (int l = 0; l < layers; l++) {
            n += 4 * hidden * (layerInputSize(l) + hidden + 1);
        }
        return n + hidden + 1;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LstmConfig)) {
            return false;
        }
        LstmConfig c = (LstmConfig) o;
        return layers == c.layers
                && hidden == c.hidden
                && cell == c.cell
                && preprocessing == c.preprocessing
                && Double.compare(logSignP, c.logSignP) == 0
                && Double.compare(outputScale, c.outputScale) == 0
                && features.equals(c.features)
                && activation == c.activation
                && head == c.head;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                layers,
                hidden,
                cell,
                preprocessing,
                logSignP,
                outputScale,
                features,
                activation,
                head);
    }

    @Override
    public String toString() {
        if (cell != CellType.LSTM) {
            return cell.id()
                    + " "
                    + layers
                    + "x"
                    + hidden
                    + (cell == CellType.MLP ? " " + activation.id() : "")
                    + ", features "
                    + features.id()
                    + (features.hasLogSign() ? " (p=" + logSignP + ")" : "")
                    + ", head "
                    + head.id()
                    + ", output scale "
                    + outputScale;
        }
        return cell.id()
                + " "
                + layers
                + "x"
                + hidden
                + ", preprocessing "
                + preprocessing.id()
                + (preprocessing == Preprocessing.LOG_SIGN ? " (p=" + logSignP + ")" : "")
                + ", output scale "
                + outputScale;
    }

    /** Builder for {@link LstmConfig}; {@link #build()} validates. */
    public static final class Builder {
        private int layers = 2;
        private int hidden = 20;
        private CellType cell = CellType.LSTM;
        private Preprocessing preprocessing = Preprocessing.LOG_SIGN;
        private double logSignP = 10.0;
        private double outputScale = 0.1;
        private FeatureSet features;
        private CellActivation activation = CellActivation.RELU;
        private OutputHead head = OutputHead.LINEAR;

        private Builder() {}

        /**
         * The input features [for the LSTM: its preprocessing's; for the MLP: {@link
         * FeatureSet#MLP_DEFAULT}]. The LSTM accepts {@code log-sign} or {@code grad} only, and
         * then sets the preprocessing from it; the MLP sets the preprocessing to log-sign if the
         * set has it, else none. Null: the default.
         */
        public Builder features(FeatureSet features) {
            this.features = features;
            return this;
        }

        /** The MLP cell's hidden activation [RELU]; the LSTM accepts RELU only (unused). */
        public Builder activation(CellActivation activation) {
            this.activation = activation;
            return this;
        }

        /** The output head [LINEAR]. */
        public Builder head(OutputHead head) {
            this.head = head;
            return this;
        }

        /** Number of LSTM layers, 1..8 [2]. */
        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        /** Hidden units per layer, 1..1024 [20]. */
        public Builder hidden(int hidden) {
            this.hidden = hidden;
            return this;
        }

        /** The cell [LSTM]. */
        public Builder cell(CellType cell) {
            this.cell = cell;
            return this;
        }

        /** Input preprocessing [LOG_SIGN]. */
        public Builder preprocessing(Preprocessing preprocessing) {
            this.preprocessing = preprocessing;
            return this;
        }

        /** p of log-sign preprocessing, > 0 [10]. */
        public Builder logSignP(double p) {
            this.logSignP = p;
            return this;
        }

        /** Output scale, in [{@value #MIN_OUTPUT_SCALE}, {@value #MAX_OUTPUT_SCALE}] [0.1]. */
        public Builder outputScale(double scale) {
            this.outputScale = scale;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the bad value and the expected range
         */
        public LstmConfig build() {
            if (layers < 1 || layers > 8) {
                throw new IllegalArgumentException("layers must be in 1..8 but was " + layers);
            }
            if (hidden < 1 || hidden > 1024) {
                throw new IllegalArgumentException("hidden must be in 1..1024 but was " + hidden);
            }
            Objects.requireNonNull(cell, "cell");
            Objects.requireNonNull(preprocessing, "preprocessing");
            Objects.requireNonNull(activation, "activation");
            Objects.requireNonNull(head, "head");
            Builder b = this;
            if (cell == CellType.LSTM) {
                if (features != null
                        && !features.equals(FeatureSet.LOG_SIGN)
                        && !features.equals(FeatureSet.GRAD)) {
                    throw new IllegalArgumentException(
                            "the lstm cell takes the features log-sign or grad (its"
                                    + " preprocessing) but was given "
                                    + features.id());
                }
                if (activation != CellActivation.RELU) {
                    throw new IllegalArgumentException(
                            "the lstm cell has no activation option but was given "
                                    + activation.id());
                }
                Preprocessing pre =
                        features == null
                                ? preprocessing
                                : features.equals(FeatureSet.LOG_SIGN)
                                        ? Preprocessing.LOG_SIGN
                                        : Preprocessing.NONE;
                b = copy();
                b.preprocessing = pre;
                b.features = pre == Preprocessing.LOG_SIGN ? FeatureSet.LOG_SIGN : FeatureSet.GRAD;
            } else {
                if (cell != CellType.MLP && activation != CellActivation.RELU) {
                    throw new IllegalArgumentException(
                            "the "
                                    + cell.id()
                                    + " cell has no activation option but was given "
                                    + activation.id());
                }
                b = copy();
                if (b.features == null) {
                    b.features = FeatureSet.MLP_DEFAULT;
                }
                b.preprocessing =
                        b.features.hasLogSign() ? Preprocessing.LOG_SIGN : Preprocessing.NONE;
            }
            if (!(logSignP > 0 && logSignP <= MAX_LOG_SIGN_P)) {
                throw new IllegalArgumentException(
                        "log-sign p must be in (0, 80] (e^p must fit a float) but was " + logSignP);
            }
            if (!(outputScale >= MIN_OUTPUT_SCALE && outputScale <= MAX_OUTPUT_SCALE)) {
                throw new IllegalArgumentException(
                        "output scale must be in [1e-8, 100] (positive: the network's output"
                                + " carries the sign) but was "
                                + outputScale);
            }
            return new LstmConfig(b);
        }

        private Builder copy() {
            Builder c = new Builder();
            c.layers = layers;
            c.hidden = hidden;
            c.cell = cell;
            c.preprocessing = preprocessing;
            c.logSignP = logSignP;
            c.outputScale = outputScale;
            c.features = features;
            c.activation = activation;
            c.head = head;
            return c;
        }
    }
}
