package org.l2o4j.core.optim;

class MomentumContractTest extends UpdateRuleContractTest {
    @Override
    protected UpdateRule createRule() {
        return new Momentum(0.1, 0.9, false);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new Momentum(0.1, 0.9, false).withNonFinitePolicy(NonFinitePolicy.SKIP);
    }
}
