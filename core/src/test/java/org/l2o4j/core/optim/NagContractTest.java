package org.l2o4j.core.optim;

class NagContractTest extends UpdateRuleContractTest {
    @Override
    protected UpdateRule createRule() {
        return Momentum.nag(0.1);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return Momentum.nag(0.1).withNonFinitePolicy(NonFinitePolicy.SKIP);
    }
}
