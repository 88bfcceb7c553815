package org.l2o4j.core.lstm;

import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The optimizer contract for the scalar kernel, multithreaded (n above the split threshold). */
class ScalarLstmOptimizerContractTest extends UpdateRuleContractTest {
    @Override
    protected UpdateRule createRule() {
        return LstmOptimizer.of(LstmOptimizerContractTest.WEIGHTS)
                .withKernel(Kernel.SCALAR)
                .withThreads(2);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return LstmOptimizer.of(LstmOptimizerContractTest.WEIGHTS)
                .withKernel(Kernel.SCALAR)
                .withThreads(2)
                .withNonFinitePolicy(NonFinitePolicy.SKIP);
    }

    @Override
    protected int size() {
        return 2 * LstmOptimizer.MIN_COORDS_PER_THREAD + 5;
    }
}
