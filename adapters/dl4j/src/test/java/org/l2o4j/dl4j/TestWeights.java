package org.l2o4j.dl4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/** Weight files made by the tests (never shipped): random small init, and a sign-descent LSTM. */
final class TestWeights {
    private TestWeights() {}

    /** A small architecture so the tests stay fast: 2 layers of 4 units, 16 floats of state. */
    static LstmConfig smallConfig() {
        return LstmConfig.builder().layers(2).hidden(4).build();
    }

    /** Gaussian weights with standard deviation {@code std}. */
    static LstmWeights random(long seed, LstmConfig c, double std) {
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (r.nextGaussian() * std);
        }
        return new LstmWeights(c, p, Map.of("origin", "test random init seed " + seed));
    }

    /**
     * Hand-set weights that make the LSTM a sign-gradient-descent rule, {@code update ~= -step *
     * sign(grad)}: input, output gates open, forget gate shut, and the cell candidate of unit 0
     * driven by the sign feature of the log-sign preprocessing, passed through both layers.
     */
    static LstmWeights signDescent(LstmConfig c, double step) {
        int h = c.hidden();
        float[] p = new float[c.numParameters()];
        for (int l = 0; l < c.layers(); l++) {
            int in = c.layerInputSize(l);
            int wih = LstmWeights.weightIhOffset(c, l);
            int b = LstmWeights.biasOffset(c, l);
            for (int j = 0; j < h; j++) {
                p[b + j] = 6f; // input gate open
                p[b + h + j] = -6f; // forget gate shut
                p[b + 3 * h + j] = 6f; // output gate open
            }
            // cell candidate of unit 0 <- sign feature (layer 0, column 1) or h_0 (later layers)
            int col = l == 0 ? 1 : 0;
            p[wih + (2 * h) * in + col] = 3f;
        }
        // h_0 of the last layer ~ 0.75 sign(g): scale so that the update is -step * sign(g).
        double h0 = Math.tanh(Math.tanh(3 * Math.tanh(Math.tanh(3.0))));
        int out = LstmWeights.outputWeightOffset(c);
        p[out] = (float) (-step / (c.outputScale() * h0));
        return new LstmWeights(c, p, Map.of("origin", "test sign descent step " + step));
    }

    static Path write(Path file, LstmWeights w) throws IOException {
        WeightFiles.write(file, w);
        return file;
    }
}
