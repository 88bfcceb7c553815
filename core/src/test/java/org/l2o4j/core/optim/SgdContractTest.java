package org.l2o4j.core.optim;

class SgdContractTest extends UpdateRuleContractTest {
    @Override
    protected UpdateRule createRule() {
        return new Sgd(0.1);
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return new Sgd(0.1).withNonFinitePolicy(NonFinitePolicy.SKIP);
    }
}
