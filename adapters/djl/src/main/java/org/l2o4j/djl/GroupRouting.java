package org.l2o4j.djl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.UpdateRule;

/**
 * Which group's weights update which DJL parameter, for a {@link LearnedOptimizer} with per-group
 * weights: rules (regular expression on the parameter's name, group), the builder's first, then
 * {@link #DEFAULT_RULES}; the first rule whose pattern is found in the name wins.
 */
final class GroupRouting {
    /** The default rules: DJL's {@code Conv*} and {@code Linear} blocks' weights and biases. */
    static final List<String[]> DEFAULT_RULES =
            List.of(
                    new String[] {"(?i)conv[^_]*_weight$", "conv-kernels"},
                    new String[] {"(?i)conv[^_]*_bias$", "conv-biases"},
                    new String[] {"(?i)linear[^_]*_weight$", "dense-weights"},
                    new String[] {"(?i)linear[^_]*_bias$", "dense-biases"});

    final GroupedWeights weights;
    private final List<LstmOptimizer> optimizers;
    private final List<Pattern> patterns = new ArrayList<>();
    private final List<String> groups = new ArrayList<>();

    /** The group of each parameter seen, by id. */
    final Map<String, String> groupsById = new ConcurrentHashMap<>();

    private final Map<String, UpdateRule> rulesById = new ConcurrentHashMap<>();

    GroupRouting(GroupedWeights weights, List<LstmOptimizer> optimizers, List<String[]> rules) {
        this.weights = weights;
        this.optimizers = List.copyOf(optimizers);
        for (String[] r : rules) {
            patterns.add(Pattern.compile(r[0]));
            groups.add(r[1]);
        }
        for (String[] r : DEFAULT_RULES) {
            patterns.add(Pattern.compile(r[0]));
            groups.add(r[1]);
        }
    }

    /** The group of a parameter name, or null if no rule matches. */
    String groupOf(String name) {
        for (int i = 0; i < patterns.size(); i++) {
            if (patterns.get(i).matcher(name).find()) {
                return groups.get(i);
            }
        }
        return null;
    }

    /**
     * The rule of the parameter {@code id} named {@code name} (remembered per id).
     *
     * @throws IllegalArgumentException if no rule matches, or the group is not in the weights
     */
    UpdateRule ruleFor(String id, String name) {
        UpdateRule r = id == null ? null : rulesById.get(id);
        if (r != null) {
            return r;
        }
        String g = groupOf(name);
        List<String> rules = new ArrayList<>();
        for (int i = 0; i < patterns.size(); i++) {
            rules.add(patterns.get(i).pattern() + " -> " + groups.get(i));
        }
        if (g == null) {
            throw new IllegalArgumentException(
                    "parameter '"
                            + name
                            + "' matches no group rule "
                            + rules
                            + " (call nameParameters(block) before training so parameters are"
                            + " named by their paths in the block, or add optGroupRule)");
        }
        int gi = weights.groups().indexOf(g);
        if (gi < 0) {
            throw new IllegalArgumentException(
                    "parameter '"
                            + name
                            + "' maps to group '"
                            + g
                            + "' but the per-group weights have groups "
                            + weights.groups()
                            + " (add optGroupRule to map it to one of them)");
        }
        r = optimizers.get(gi);
        if (id != null) {
            rulesById.put(id, r);
            groupsById.put(id, g);
        }
        return r;
    }
}
