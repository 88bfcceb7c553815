package org.l2o4j.djl;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import java.util.Random;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;

/** Shared test fixtures: hand-built optimizer weights, a small model and synthetic data. */
final class Fixtures {
    static final int IN = 8;
    static final int HIDDEN = 16;
    static final int CLASSES = 3;
    static final int BATCH = 32;

    private Fixtures() {}

    /**
     * Paper-architecture LSTM weights (2 x 20, log-sign, scale 0.1) built by hand so that the
     * network computes sign descent, {@code update ~= -lr * sign(g)}: unit 0 of each layer has its
     * input and output gates saturated open, its forget gate shut and its cell candidate driven by
     * the sign feature; the output reads unit 0 of the last layer. An obviously-working optimizer
     * for tests that need loss to go down, without pretrained weights.
     */
    static LstmWeights signDescent(double lr) {
        LstmConfig c = LstmConfig.paperDefaults();
        int h = c.hidden();
        float[] p = new float[c.numParameters()];
        for (int l = 0; l < c.layers(); l++) {
            int in = c.layerInputSize(l);
            int ih = LstmWeights.weightIhOffset(c, l);
            int b = LstmWeights.biasOffset(c, l);
            p[b] = 10f; // input gate of unit 0 open
            p[b + h] = -10f; // forget gate shut
            p[b + 3 * h] = 10f; // output gate open
            // cell candidate of unit 0 from the sign feature (layer 0) or unit 0 below
            int feature = l == 0 ? 1 : 0;
            p[ih + (2 * h) * in + feature] = l == 0 ? 2f : 3f;
        }
        // h1_0 = tanh(tanh(2)) ~ 0.746 * sign; h2_0 = tanh(tanh(3 * 0.746)) ~ 0.752 * sign
        float h2 = (float) Math.tanh(Math.tanh(3 * Math.tanh(Math.tanh(2))));
        p[LstmWeights.outputWeightOffset(c)] = (float) (-lr / (c.outputScale() * h2));
        return new LstmWeights(c, p);
    }

    /** Small random weights (a freshly initialised, untrained optimizer). */
    static LstmWeights random(long seed, double std) {
        LstmConfig c = LstmConfig.paperDefaults();
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (std * r.nextGaussian());
        }
        return new LstmWeights(c, p);
    }

    /** An MLP IN -> HIDDEN (tanh) -> CLASSES. */
    static Block mlp() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(HIDDEN).build())
                .add(Activation::tanh)
                .add(Linear.builder().setUnits(CLASSES).build());
    }

    /** A model with {@link #mlp()}, its parameters initialised from {@code seed}. */
    static Model model(String name, long seed) {
        Model model = Model.newInstance(name);
        model.setBlock(mlp());
        Engine.getInstance().setRandomSeed((int) seed);
        model.getBlock()
                .initialize(
                        model.getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32, inputShape());
        return model;
    }

    static Shape inputShape() {
        return new Shape(BATCH, IN);
    }

    static Trainer trainer(Model model, Optimizer optimizer) {
        Trainer t =
                model.newTrainer(
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                .optOptimizer(optimizer));
        t.initialize(inputShape());
        return t;
    }

    /**
     * Batch {@code step} of a fixed synthetic classification problem (labels from a fixed random
     * linear map of the inputs): the same step always gives the same batch.
     */
    static NDList[] batch(NDManager m, long step) {
        Random r = new Random(1_000_003L * step + 17);
        float[] x = new float[BATCH * IN];
        float[] y = new float[BATCH];
        Random teacher = new Random(99);
        float[][] w = new float[CLASSES][IN];
        for (float[] row : w) {
            for (int k = 0; k < IN; k++) {
                row[k] = (float) teacher.nextGaussian();
            }
        }
        for (int i = 0; i < BATCH; i++) {
            int best = 0;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < IN; k++) {
                x[i * IN + k] = (float) r.nextGaussian();
            }
            for (int c = 0; c < CLASSES; c++) {
                float s = 0;
                for (int k = 0; k < IN; k++) {
                    s += w[c][k] * x[i * IN + k];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            y[i] = best;
        }
        return new NDList[] {
            new NDList(m.create(x, new Shape(BATCH, IN))), new NDList(m.create(y, new Shape(BATCH)))
        };
    }

    /** One training step on batch {@code step}; returns the loss before the update. */
    static float trainStep(Trainer trainer, long step) {
        try (NDManager sub = trainer.getManager().newSubManager()) {
            NDList[] b = batch(sub, step);
            float loss;
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList pred = trainer.forward(b[0]);
                NDArray l = trainer.getLoss().evaluate(b[1], pred);
                loss = l.getFloat();
                gc.backward(l);
            }
            trainer.step();
            return loss;
        }
    }

    /** Mean loss over {@code n} fixed evaluation batches (no update). */
    static float evalLoss(Trainer trainer, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            try (NDManager sub = trainer.getManager().newSubManager()) {
                NDList[] b = batch(sub, 1_000_000 + i);
                sum += trainer.getLoss().evaluate(b[1], trainer.evaluate(b[0])).getFloat();
            }
        }
        return sum / n;
    }
}
