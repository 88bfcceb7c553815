package org.l2o4j.core.lstm;

import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The optimizer contract for the LSTM optimizer with the default kernel, one thread. */
class LstmOptimizerContractTest extends UpdateRuleContractTest {
    static final LstmWeights WEIGHTS =
            LstmKernelOracleTest.randomWeights(LstmConfig.paperDefaults(), 11);

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
        return 77; // two full vector tiles and a partial one
    }
}
