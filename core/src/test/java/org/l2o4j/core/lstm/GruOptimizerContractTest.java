package org.l2o4j.core.lstm;

import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The optimizer contract for the learned optimizer with the GRU cell, one thread. */
class GruOptimizerContractTest extends UpdateRuleContractTest {
    static final LstmWeights WEIGHTS =
            LstmKernelOracleTest.randomWeights(
                    LstmConfig.builder().cell(CellType.GRU).hidden(6).build(), 14);

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
        return 37;
    }
}
