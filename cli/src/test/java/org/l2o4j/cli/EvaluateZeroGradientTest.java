package org.l2o4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code l2o evaluate --zero-gradient freeze|update}. */
class EvaluateZeroGradientTest {

    /** Final mean loss of mnist-mlp-v1 on a tiny MNIST MLP run. */
    private static double finalLoss(String... extra) {
        String[] base = {
            "--optimizer", "mnist-mlp-v1",
            "--task", "mnist-mlp",
            "--hidden", "4",
            "--batch", "16",
            "--data-dir", "bundled",
            "--seeds", "2",
            "--steps", "10",
            "--baselines", "none",
            "--threads", "1",
            "--json"
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        EvaluateCommandTest.Run r = EvaluateCommandTest.run(args);
        assertEquals(0, r.code, r.err);
        return EvaluateCommandTest.lastLineJson(r.out)
                .getAsJsonArray("results")
                .get(0)
                .getAsJsonObject()
                .get("final_loss_mean")
                .getAsDouble();
    }

    @Test
    void freezeIsTheDefaultAndChangesMnistResults() {
        // MNIST pixels that are 0 in a whole minibatch give the weights from them exactly-zero
        // gradients, so the two policies give different runs
        double byDefault = finalLoss();
        assertEquals(byDefault, finalLoss("--zero-gradient", "freeze"));
        assertNotEquals(byDefault, finalLoss("--zero-gradient", "update"));
    }

    @Test
    void anUnknownPolicyIsAUsageError() {
        EvaluateCommandTest.Run r =
                EvaluateCommandTest.run(
                        "--task", "quadratic", "--baselines", "sgd", "--zero-gradient", "skip");
        assertEquals(2, r.code, r.err);
        assertTrue(
                r.err.contains(
                        "--zero-gradient: Unknown zero-gradient policy 'skip': expected one of"
                                + " freeze, update"),
                r.err);
    }
}
