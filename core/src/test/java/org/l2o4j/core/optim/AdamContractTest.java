package org.l2o4j.core.optim;

class AdamContractTest extends UpdateRuleContractTest {
    @Override
    protected UpdateRule createRule() {
        return new Adam(0.001);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new Adam(0.001).withNonFinitePolicy(NonFinitePolicy.SKIP);
    }
}
