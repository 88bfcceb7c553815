package org.l2o4j.core.optim;

class RmsPropContractTest extends UpdateRuleContractTest {
    @Override
    protected UpdateRule createRule() {
        return new RmsProp(0.01);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new RmsProp(0.01).withNonFinitePolicy(NonFinitePolicy.SKIP);
    }
}
