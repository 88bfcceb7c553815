package org.l2o4j.dl4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.NonFinitePolicy;

/**
 * Installs a per-group learned optimizer (the paper's LSTM-sep, one weight set per parameter group)
 * into a DL4J configuration: each layer's updater and bias updater become the {@link
 * LearnedUpdater} of the group its parameters belong to.
 *
 * <pre>{@code
 * MultiLayerConfiguration conf = ...build();
 * PerGroupLearnedUpdaters.fromFile(Path.of("lstm-sep.safetensors")).apply(conf);
 * MultiLayerNetwork net = new MultiLayerNetwork(conf);
 * net.init();
 * }</pre>
 *
 * <p><b>Default mapping</b> (the group names of the core {@code conv} and {@code mnist-mlp} tasks):
 *
 * <table>
 *   <caption>layer type and parameter to group</caption>
 *   <tr><th>layer (and subclasses)</th><th>{@code W} (weights)</th><th>{@code b} (bias)</th></tr>
 *   <tr><td>{@code ConvolutionLayer}</td><td>{@code conv-kernels}</td><td>{@code conv-biases}</td>
 *   <tr><td>{@code DenseLayer}, {@code BaseOutputLayer}</td><td>{@code dense-weights}</td>
 *       <td>{@code dense-biases}</td>
 * </table>
 *
 * DL4J gives a layer one updater for all its non-bias parameters ({@code W} here: DL4J's layer
 * updater) and one for its biases ({@code b}: DL4J's bias updater), so these are the two parameter
 * keys a rule can name. Layers that no rule matches keep their updater. {@link #map} adds a rule
 * that takes precedence over the defaults (rules are tried most recent first, a layer matching a
 * rule's type or a subclass of it); {@link #clearDefaults} drops the defaults.
 *
 * <p>A shared weight file (no groups) gives every mapped parameter the same shared weights. A
 * per-group file that lacks a mapped group is an error naming the file's groups.
 */
public final class PerGroupLearnedUpdaters {
    /** DL4J's key for a layer's (non-bias) weights. */
    public static final String WEIGHTS = "W";

    /** DL4J's key for a layer's bias. */
    public static final String BIAS = "b";

    private static final class Rule {
        final Class<? extends Layer> type;
        final String key;
        final String group;
        final boolean isDefault;

        Rule(Class<? extends Layer> type, String key, String group, boolean isDefault) {
            this.type = type;
            this.key = key;
            this.group = group;
            this.isDefault = isDefault;
        }
    }

    private final Path file;
    private final List<Rule> rules = new ArrayList<>();
    private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.ERROR;
    private ZeroGradientPolicy zeroPolicy = ZeroGradientPolicy.FREEZE;
    private StateType stateType = StateType.FLOAT32;

    private PerGroupLearnedUpdaters(Path file) {
        this.file = file;
        rules.add(new Rule(ConvolutionLayer.class, WEIGHTS, "conv-kernels", true));
        rules.add(new Rule(ConvolutionLayer.class, BIAS, "conv-biases", true));
        rules.add(new Rule(DenseLayer.class, WEIGHTS, "dense-weights", true));
        rules.add(new Rule(DenseLayer.class, BIAS, "dense-biases", true));
        rules.add(new Rule(BaseOutputLayer.class, WEIGHTS, "dense-weights", true));
        rules.add(new Rule(BaseOutputLayer.class, BIAS, "dense-biases", true));
    }

    /** Updaters from a per-group (or shared) weight file, with the default mapping. */
    public static PerGroupLearnedUpdaters fromFile(Path file) {
        return new PerGroupLearnedUpdaters(Objects.requireNonNull(file, "file"));
    }

    /**
     * Maps parameter {@code key} ({@value #WEIGHTS} or {@value #BIAS}) of layers of {@code type}
     * (or a subclass) to {@code group}; tried before the rules given earlier and the defaults.
     */
    public PerGroupLearnedUpdaters map(Class<? extends Layer> type, String key, String group) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(group, "group");
        if (!WEIGHTS.equals(key) && !BIAS.equals(key)) {
            throw new IllegalArgumentException(
                    "parameter key must be '"
                            + WEIGHTS
                            + "' (a layer's weights) or '"
                            + BIAS
                            + "' (its bias) but was '"
                            + key
                            + "'");
        }
        rules.add(0, new Rule(type, key, group, false));
        return this;
    }

    /** Drops the default rules (only rules given with {@link #map} apply). */
    public PerGroupLearnedUpdaters clearDefaults() {
        rules.removeIf(r -> r.isDefault);
        return this;
    }

    /** The policy for NaN/Inf gradients of every installed updater. */
    public PerGroupLearnedUpdaters nonFinitePolicy(NonFinitePolicy p) {
        this.nonFinitePolicy = Objects.requireNonNull(p);
        return this;
    }

    /** The zero-gradient policy of every installed updater. */
    public PerGroupLearnedUpdaters zeroGradientPolicy(ZeroGradientPolicy p) {
        this.zeroPolicy = Objects.requireNonNull(p);
        return this;
    }

    /** The state type of every installed updater. */
    public PerGroupLearnedUpdaters stateType(StateType t) {
        this.stateType = Objects.requireNonNull(t);
        return this;
    }

    /** The group of parameter {@code key} of {@code layer} by the rules, or null if none. */
    public String groupFor(Layer layer, String key) {
        for (Rule r : rules) {
            if (r.key.equals(key) && r.type.isInstance(layer)) {
                return r.group;
            }
        }
        return null;
    }

    /** The updater of one group, with this object's policies. */
    public LearnedUpdater updater(String group) {
        return LearnedUpdater.fromFile(file, group)
                .withNonFinitePolicy(nonFinitePolicy)
                .withZeroGradientPolicy(zeroPolicy)
                .withStateType(stateType);
    }

    /**
     * Sets the updater and bias updater of every matching layer of {@code conf} (before the network
     * is built from it).
     *
     * @return {@code conf}
     * @throws IllegalArgumentException if the file lacks a mapped group (naming its groups)
     */
    public MultiLayerConfiguration apply(MultiLayerConfiguration conf) {
        Map<String, LearnedUpdater> cache = new LinkedHashMap<>();
        for (NeuralNetConfiguration c : conf.getConfs()) {
            apply(c.getLayer(), cache);
        }
        return conf;
    }

    /** As {@link #apply(MultiLayerConfiguration)} for a computation graph. */
    public ComputationGraphConfiguration apply(ComputationGraphConfiguration conf) {
        Map<String, LearnedUpdater> cache = new LinkedHashMap<>();
        for (GraphVertex v : conf.getVertices().values()) {
            if (v instanceof LayerVertex) {
                apply(((LayerVertex) v).getLayerConf().getLayer(), cache);
            }
        }
        return conf;
    }

    private void apply(Layer layer, Map<String, LearnedUpdater> cache) {
        if (!(layer instanceof BaseLayer)) {
            return;
        }
        BaseLayer b = (BaseLayer) layer;
        String gw = groupFor(layer, WEIGHTS);
        String gb = groupFor(layer, BIAS);
        if (gw != null) {
            if (gb == null && b.getBiasUpdater() == null) {
                // the bias would follow the new layer updater: keep the one it had
                b.setBiasUpdater(b.getIUpdater());
            }
            b.setIUpdater(cache.computeIfAbsent(gw, this::updater));
        }
        if (gb != null) {
            b.setBiasUpdater(cache.computeIfAbsent(gb, this::updater));
        }
    }
}
