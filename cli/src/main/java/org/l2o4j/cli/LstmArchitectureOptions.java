package org.l2o4j.cli;

import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import picocli.CommandLine.Option;

/**
 * The learned optimizer's architecture, shared by {@code meta-train} and {@code study} (a picocli
 * mixin): LSTM layers and units, input preprocessing, log-sign p, output scale. Every option is
 * unset by default; {@link #applyTo} changes only what was given.
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

    /** Whether any of these options was given. */
    boolean any() {
        return lstmLayers != null
                || lstmHidden != null
                || preprocessing != null
                || logSignP != null
                || outputScale != null;
    }

    /**
     * Sets the given options on {@code b}; the preprocessing is {@code defaultPreprocessing} unless
     * given.
     */
    LstmConfig.Builder applyTo(LstmConfig.Builder b, Preprocessing defaultPreprocessing) {
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
