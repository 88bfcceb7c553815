package org.l2o4j.core.lstm;

import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The optimizer contract for the learned optimizer with the MLP cell, one thread. */
class MlpOptimizerContractTest extends UpdateRuleContractTest {
    static final LstmWeights WEIGHTS =
            LstmKernelOracleTest.randomWeights(
                    LstmConfig.builder().cell(CellType.MLP).hidden(16).build(), 13);

    @Override
    protected UpdateRule createRule() {
        return LstmOptimizer.of(WEIGHTS).withThreads(1);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return LstmOptimizer.of(WEIGHTS).withThreads(1).withNonFinitePolicy(NonFinitePolicy.SKIP);
    }

    @Override
    protected int size() {
        return 37; // two full tiles and a partial one
    }
}
