package org.l2o4j.core.lstm;

import java.util.List;
import java.util.Map;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.optim.UpdateRuleContractTest;

/** The optimizer contract for the per-group LSTM optimizer (four groups, interleaved labels). */
class GroupedLstmOptimizerContractTest extends UpdateRuleContractTest {
    private static final int N = 77;
    private static final int[] LABELS = GroupedLstmOptimizerTest.labels(N, 3);

    private static GroupedLstmOptimizer rule() {
        return GroupedLstmOptimizer.of(
                        GroupedLstmOptimizerTest.fourGroups(),
                        GroupedLstmOptimizerTest.GROUPS,
                        LABELS,
                        Map.of())
                .withThreads(1);
    }

    @Override
    protected UpdateRule createRule() {
        return rule();
    }

    @Override
    protected UpdateRule createSkippingRule() {
        return rule().withNonFinitePolicy(NonFinitePolicy.SKIP);
    }

    @Override
    protected int size() {
        return N;
    }

    /** The group-major layout of {@link GroupedLstmOptimizer}. */
    @Override
    protected int stateIndex(int n, int i, int k) {
        int s = rule().stateSizePerCoordinate();
        int[] counts = new int[4];
        for (int l : LABELS) {
            counts[l]++;
        }
        int start = 0;
        for (int g = 0; g < LABELS[i]; g++) {
            start += counts[g];
        }
        int j = 0;
        for (int x = 0; x < i; x++) {
            if (LABELS[x] == LABELS[i]) {
                j++;
            }
        }
        return s * start + k * counts[LABELS[i]] + j;
    }

    static List<String> groups() {
        return GroupedLstmOptimizerTest.GROUPS;
    }
}
