package org.l2o4j.dl4j;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Maps an index of a DL4J network's flattened parameter (and gradient) vector to the layer and
 * parameter it belongs to, for error messages.
 *
 * <p>DL4J hands an updater only a view of its block's gradient, without the layer names. A network
 * {@link #register registered} here (the {@link Dl4jTask}s register theirs) is found again from
 * that view, so a {@link org.l2o4j.core.optim.NonFiniteGradientException} raised by {@link
 * LearnedUpdater} names the layer and parameter directly; for any other network the message gives
 * the flattened index, which {@link #describe(Model, long)} resolves. Registration holds the
 * network weakly.
 */
public final class Dl4jParameters {
    private static final List<WeakReference<Model>> REGISTERED = new CopyOnWriteArrayList<>();

    private Dl4jParameters() {}

    /**
     * Lets {@link LearnedUpdater}'s error messages name this network's layers and parameters. Weak:
     * the network can still be garbage collected.
     */
    public static void register(Model model) {
        if (!(model instanceof MultiLayerNetwork) && !(model instanceof ComputationGraph)) {
            throw new IllegalArgumentException(
                    "Expected a MultiLayerNetwork or ComputationGraph but got "
                            + model.getClass().getName());
        }
        REGISTERED.removeIf(r -> r.get() == null || r.get() == model);
        REGISTERED.add(new WeakReference<>(model));
    }

    /**
     * Describes the parameter at {@code flatIndex} of the network's flattened parameter vector,
     * e.g. {@code "layer 1 ('dense1'), parameter W [20, 10], element 37"}.
     *
     * @throws IllegalArgumentException if the index is outside the parameter vector
     */
    public static String describe(Model model, long flatIndex) {
        INDArray flat = model.params();
        if (flatIndex < 0 || flat == null || flatIndex >= flat.length()) {
            throw new IllegalArgumentException(
                    "Flattened parameter index must be in [0, "
                            + (flat == null ? 0 : flat.length())
                            + ") but was "
                            + flatIndex);
        }
        long base = address(flat);
        long elem = flat.dataType().width();
        for (Map.Entry<String, INDArray> e : model.paramTable().entrySet()) {
            INDArray p = e.getValue();
            long off = (address(p) - base) / elem;
            if (flatIndex >= off && flatIndex < off + p.length()) {
                return name(model, e.getKey())
                        + " "
                        + Arrays.toString(p.shape())
                        + ", element "
                        + (flatIndex - off)
                        + " (flattened index "
                        + flatIndex
                        + ")";
            }
        }
        return "flattened parameter index " + flatIndex;
    }

    /** Native address of an array's first element (a view's offset included). */
    static long address(INDArray a) {
        return a.data().addressPointer().address();
    }

    private static String name(Model model, String key) {
        if (model instanceof MultiLayerNetwork) {
            int us = key.indexOf('_');
            if (us > 0) {
                String layer = key.substring(0, us);
                String param = key.substring(us + 1);
                String layerName = null;
                try {
                    layerName =
                            ((MultiLayerNetwork) model)
                                    .getLayer(Integer.parseInt(layer))
                                    .conf()
                                    .getLayer()
                                    .getLayerName();
                } catch (RuntimeException ignored) {
                    // fall back to the index alone
                }
                return "layer "
                        + layer
                        + (layerName == null ? "" : " ('" + layerName + "')")
                        + ", parameter "
                        + param;
            }
        } else {
            int us = key.lastIndexOf('_');
            if (us > 0) {
                return "layer '" + key.substring(0, us) + "', parameter " + key.substring(us + 1);
            }
        }
        return "parameter " + key;
    }

    /**
     * The parameters of a block gradient view: the registered network's flattened parameter vector
     * and the view's first index in it (DL4J lays its gradient view out exactly like its
     * parameters, so the block's parameters are the same range of the parameter vector); null if no
     * registered network's gradient holds the view.
     */
    static ParamRange registeredParams(INDArray blockGradient) {
        Located l = locate(blockGradient);
        if (l == null) {
            return null;
        }
        INDArray p = l.model().params();
        if (p == null || l.offset() + blockGradient.length() > p.length()) {
            return null;
        }
        return new ParamRange(p, l.offset());
    }

    /** A network's flattened parameters and the first index of a block in them. */
    record ParamRange(INDArray params, long offset) {}

    /**
     * Names element {@code i} of a block gradient view if it belongs to a registered network's
     * gradient; null otherwise.
     */
    static String describeRegistered(INDArray blockGradient, int i) {
        Located l = locate(blockGradient);
        return l == null ? null : describe(l.model(), l.offset() + i);
    }

    /** A registered network and the first index of a block gradient view in its gradient. */
    private record Located(Model model, long offset) {}

    /** The registered network whose gradient view holds {@code blockGradient}; null if none. */
    private static Located locate(INDArray blockGradient) {
        long addr = address(blockGradient);
        long elem = blockGradient.dataType().width();
        for (WeakReference<Model> r : REGISTERED) {
            Model m = r.get();
            if (m == null) {
                REGISTERED.remove(r);
                continue;
            }
            INDArray g = m.getGradientsViewArray();
            if (g == null || g.dataType() != blockGradient.dataType()) {
                continue;
            }
            long base = address(g);
            if (addr >= base && addr < base + g.length() * elem) {
                return new Located(m, (addr - base) / elem);
            }
        }
        return null;
    }
}
