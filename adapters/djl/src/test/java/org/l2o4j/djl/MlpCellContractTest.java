package org.l2o4j.djl;

import java.util.Random;
import org.l2o4j.core.lstm.CellType;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The optimizer contract through the DJL adapter for weights of the MLP cell (host kernel). */
class MlpCellContractTest extends UpdateRuleContractTest {
    static final LstmWeights WEIGHTS = mlpWeights(12);

    static LstmWeights mlpWeights(long seed) {
        LstmConfig c = LstmConfig.builder().cell(CellType.MLP).hidden(8).build();
        Random r = new Random(seed);
        float[] p = new float[c.numParameters()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (r.nextGaussian() * 0.3);
        }
        return new LstmWeights(c, p);
    }

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
        return 37;
    }
}
