package org.l2o4j.djl;

import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The core's optimizer contract, run through the DJL adapter (NDArrays in and out). */
class LearnedOptimizerContractTest extends UpdateRuleContractTest {
    private static final LstmWeights WEIGHTS = Fixtures.random(11, 0.3);

    @Override
    protected UpdateRule createRule() {
        return new DjlRoundTripRule(
                LearnedOptimizer.builder().optWeights(WEIGHTS).optThreads(1).build());
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new DjlRoundTripRule(
                LearnedOptimizer.builder()
                        .optWeights(WEIGHTS)
                        .optThreads(1)
                        .optNonFinitePolicy(NonFinitePolicy.SKIP)
                        .build());
    }

    @Override
    protected int size() {
        return 77;
    }
}
