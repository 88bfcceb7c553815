package org.l2o4j.dl4j;

import java.nio.file.Files;
import java.nio.file.Path;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/**
 * The optimizer contract through the DL4J adapter for a weight file of the MLP cell (format version
 * 2): the same updater, view array and sign conversion as for the LSTM.
 */
class MlpCellContractTest extends UpdateRuleContractTest {
    private static final LearnedUpdater UPDATER;

    static {
        try {
            Path dir = Files.createTempDirectory("l2o4j-dl4j-mlp-contract");
            LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(8).build();
            UPDATER =
                    LearnedUpdater.fromFile(
                            TestWeights.write(
                                    dir.resolve("mlp.safetensors"),
                                    TestWeights.random(12, c, 0.3)));
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    protected UpdateRule createRule() {
        return new LearnedUpdaterContractTest.Dl4jRoundTripRule(UPDATER);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new LearnedUpdaterContractTest.Dl4jRoundTripRule(
                UPDATER.withNonFinitePolicy(NonFinitePolicy.SKIP));
    }

    @Override
    protected int size() {
        return 37;
    }
}
