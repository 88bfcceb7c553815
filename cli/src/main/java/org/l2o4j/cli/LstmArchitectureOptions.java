package org.l2o4j.cli;

import org.l2o4j.core.lstm.CellActivation;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.FeatureSet;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import picocli.CommandLine.Option;

/**
 * The learned optimizer's architecture, shared by {@code meta-train} and {@code study} (a picocli
 * mixin): the cell (LSTM or MLP), its layers and units, input preprocessing or features, log-sign
 * p, output scale. Every option is unset by default; {@link #applyTo} changes only what was given.
 */
public final class LstmArchitectureOptions {

    @Option(names = "--lstm-layers", description = "LSTM layers [2].")
    Integer lstmLayers;

    @Option(names = "--lstm-hidden", description = "LSTM hidden units per layer [20].")
    Integer lstmHidden;

    @Option(
            names = "--preprocessing",
            description = "none|log-sign [quadratic none, otherwise log-sign].")
    String preprocessing;

    @Option(names = "--log-sign-p", description = "p of log-sign preprocessing [10].")
    Double logSignP;

    @Option(names = "--output-scale", description = "Output scale [0.1].")
    Double outputScale;

    @Option(
            names = "--cell",
            description =
                    "The learned optimizer's cell: lstm|mlp|gru [lstm]; gru takes --lstm-layers"
                            + " and --lstm-hidden for its layers and units.")
    String cell;

    @Option(
            names = "--features",
            description =
                    "Input features, comma-separated: log-sign, grad, rms, mom:B (0 < B < 1),"
                            + " time:TAU (the step count as tanh(t/TAU); mlp and gru), early:TAU (1 -"
                            + " tanh(t/TAU): nonzero early in a run only; mlp and gru),"
                            + " param (the parameter's value; mlp and gru) [lstm: its --preprocessing; mlp: rms,mom:0.5,mom:0.9,mom:0.99]."
                            + " With meta-train --init (an mlp or gru file): the file's features"
                            + " plus new ones, whose weights start at zero (the same updates at"
                            + " the start).")
    String features;

    @Option(names = "--mlp-layers", description = "mlp cell: hidden layers [2].")
    Integer mlpLayers;

    @Option(names = "--mlp-hidden", description = "mlp cell: units per hidden layer [32].")
    Integer mlpHidden;

    @Option(names = "--mlp-activation", description = "mlp cell: relu|tanh [relu].")
    String mlpActivation;

    /** Whether any of these options was given. */
    boolean any() {
        return features != null || anyButFeatures();
    }

    /**
     * Whether any of these options other than {@code --features} was given (what {@code meta-train
     * --init} refuses: it takes {@code --features} to widen its file's features).
     */
    boolean anyButFeatures() {
        return lstmLayers != null
                || lstmHidden != null
                || preprocessing != null
                || logSignP != null
                || outputScale != null
                || cell != null
                || mlpLayers != null
                || mlpHidden != null
                || mlpActivation != null;
    }

    /** The {@code --features} given, or null. */
    String features() {
        return features;
    }

    /**
     * Sets the given options on {@code b}; the preprocessing is {@code defaultPreprocessing} unless
     * given.
     */
    LstmConfig.Builder applyTo(LstmConfig.Builder b, Preprocessing defaultPreprocessing) {
        CellType c = cell != null ? CellType.fromId(cell) : CellType.LSTM;
        if (c == CellType.MLP) {
            if (lstmLayers != null || lstmHidden != null || preprocessing != null) {
                throw new IllegalArgumentException(
                        "--cell mlp takes --mlp-layers, --mlp-hidden and --features, not"
                                + " --lstm-layers, --lstm-hidden or --preprocessing");
            }
            b.cell(CellType.MLP)
                    .layers(mlpLayers != null ? mlpLayers : 2)
                    .hidden(mlpHidden != null ? mlpHidden : 32)
                    .features(features != null ? FeatureSet.parse(features) : null)
                    .activation(
                            mlpActivation != null
                                    ? CellActivation.fromId(mlpActivation)
                                    : CellActivation.RELU);
            if (logSignP != null) {
                b.logSignP(logSignP);
            }
            if (outputScale != null) {
                b.outputScale(outputScale);
            }
            return b;
        }
        if (mlpLayers != null || mlpHidden != null || mlpActivation != null) {
            throw new IllegalArgumentException(
                    "--mlp-layers, --mlp-hidden and --mlp-activation need --cell mlp");
        }
        if (c == CellType.GRU) {
            if (preprocessing != null) {
                throw new IllegalArgumentException(
                        "--cell gru takes --features (default rms,mom:0.5,mom:0.9,mom:0.99), not"
                                + " --preprocessing");
            }
            b.cell(CellType.GRU).features(features != null ? FeatureSet.parse(features) : null);
            if (lstmLayers != null) {
                b.layers(lstmLayers);
            }
            if (lstmHidden != null) {
                b.hidden(lstmHidden);
            }
            if (logSignP != null) {
                b.logSignP(logSignP);
            }
            if (outputScale != null) {
                b.outputScale(outputScale);
            }
            return b;
        }
        if (features != null) {
            if (preprocessing != null) {
                throw new IllegalArgumentException(
                        "give the lstm's input as --preprocessing or --features, not both");
            }
            // the lstm takes log-sign or grad (its preprocessing); the builder says so otherwise
            b.features(FeatureSet.parse(features));
            if (lstmLayers != null) {
                b.layers(lstmLayers);
            }
            if (lstmHidden != null) {
                b.hidden(lstmHidden);
            }
            if (logSignP != null) {
                b.logSignP(logSignP);
            }
            if (outputScale != null) {
                b.outputScale(outputScale);
            }
            return b;
        }
        b.preprocessing(
                preprocessing != null ? Preprocessing.fromId(preprocessing) : defaultPreprocessing);
        if (lstmLayers != null) {
            b.layers(lstmLayers);
        }
        if (lstmHidden != null) {
            b.hidden(lstmHidden);
        }
        if (logSignP != null) {
            b.logSignP(logSignP);
        }
        if (outputScale != null) {
            b.outputScale(outputScale);
        }
        return b;
    }
}
