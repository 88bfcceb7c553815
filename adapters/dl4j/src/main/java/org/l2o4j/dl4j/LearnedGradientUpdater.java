package org.l2o4j.dl4j;

import java.util.HashMap;
import java.util.Map;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.optim.Gradients;
import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The stateful half of {@link LearnedUpdater}: turns one DL4J updater block's gradient into the
 * step DL4J subtracts, in place.
 *
 * <p>The LSTM state of the block's {@code n} parameters is DL4J's state view array, {@code n x S}
 * values ({@code S = 2 x hidden x layers}, or {@code hidden x layers} packed float slots with a
 * 16-bit {@link org.l2o4j.core.lstm.StateType}) in the core kernel's structure-of-arrays layout:
 * row {@code k} of parameter {@code i} at {@code k * n + i} (see {@link LstmOptimizer}). The core
 * works on Java arrays and ND4J's CPU buffers are native memory, so each step streams the block
 * through a bounded heap window of {@link #CHUNK} parameters: bulk-copy the gradient and that
 * chunk's state in, run the core kernel, bulk-copy the state and the negated update out. Heap
 * scratch is thus at most {@code CHUNK x (S + 1)} floats plus the gradient, whatever the model's
 * size.
 *
 * <p>Lifecycle: created by {@link LearnedUpdater#instantiate}; {@link #setStateViewArray} binds it
 * to its slice of the network's updater state (fresh zeros when DL4J asks to initialize, the saved
 * values on restore); {@link #applyUpdater} once per iteration. Not thread-safe (DL4J calls it from
 * the training thread).
 */
public final class LearnedGradientUpdater implements GradientUpdater<LearnedUpdater> {
    /** Key of the single state array in {@link #getState()}: the LSTM (h, c) of every parameter. */
    public static final String LSTM_STATE = "LSTM_STATE";

    /** Parameters processed per heap window. */
    static final int CHUNK = 1 << 15;

    private final LearnedUpdater config;
    private final LstmOptimizer rule;
    private final int perCoordinate;

    private INDArray stateView;
    private HostFloats stateHost;
    private int n;
    private float[] grad = new float[0];
    private float[] params = new float[0];
    private OptimizerState fullChunk;
    private OptimizerState tailChunk;
    private long skipped;

    LearnedGradientUpdater(LearnedUpdater config) {
        this.config = config;
        this.rule = config.optimizer();
        this.perCoordinate = rule.stateSizePerCoordinate();
    }

    @Override
    public LearnedUpdater getConfig() {
        return config;
    }

    /** Number of parameters in this updater block. */
    public int numParameters() {
        return n;
    }

    /** Coordinate-steps skipped so far under {@link NonFinitePolicy#SKIP} (not persisted). */
    public long skippedCount() {
        return skipped;
    }

    @Override
    public void setState(Map<String, INDArray> stateMap, boolean initialize) {
        if (stateMap == null || stateMap.size() != 1 || !stateMap.containsKey(LSTM_STATE)) {
            throw new IllegalStateException(
                    "State map should contain only key ["
                            + LSTM_STATE
                            + "] but has keys "
                            + (stateMap == null ? "null" : stateMap.keySet()));
        }
        INDArray s = stateMap.get(LSTM_STATE);
        long len = s.length();
        if (len % perCoordinate != 0) {
            throw new IllegalStateException(
                    "State array "
                            + LSTM_STATE
                            + " must hold "
                            + perCoordinate
                            + " values per parameter ("
                            + rule.stateType().id()
                            + " state of "
                            + rule.config()
                            + ") but its length "
                            + len
                            + " is not a multiple of "
                            + perCoordinate
                            + ": was it saved with different optimizer weights?");
        }
        setStateViewArray(s, new long[] {len / perCoordinate}, 'c', initialize);
    }

    @Override
    public Map<String, INDArray> getState() {
        Map<String, INDArray> m = new HashMap<>();
        m.put(LSTM_STATE, stateView);
        return m;
    }

    @Override
    public void setStateViewArray(
            INDArray viewArray, long[] gradientShape, char gradientOrder, boolean initialize) {
        long numParams = 1;
        for (long d : gradientShape) {
            numParams = Math.multiplyExact(numParams, d);
        }
        long expected = Math.multiplyExact(numParams, (long) perCoordinate);
        if (viewArray.length() != expected) {
            throw new IllegalStateException(
                    "LearnedUpdater state for "
                            + numParams
                            + " parameters must have length "
                            + expected
                            + " ("
                            + perCoordinate
                            + " per parameter for the "
                            + rule.stateType().id()
                            + " state of "
                            + rule.config()
                            + ") but has length "
                            + viewArray.length()
                            + ": was it saved with different optimizer weights or another state"
                            + " type?");
        }
        if (numParams > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "An updater block may hold at most "
                            + Integer.MAX_VALUE
                            + " parameters but has "
                            + numParams);
        }
        if (initialize) {
            // The fresh LSTM state is all zeros (LstmOptimizer's contract).
            viewArray.assign(0);
        }
        this.stateView = viewArray.reshape(viewArray.length());
        this.stateHost = new HostFloats(stateView, "updater state");
        this.n = (int) numParams;
        int full = Math.min(n, CHUNK);
        int tail = n > CHUNK ? n % CHUNK : 0;
        this.fullChunk = OptimizerState.create(full, perCoordinate);
        this.tailChunk = tail == 0 ? null : OptimizerState.create(tail, perCoordinate);
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
        if (stateView == null) {
            throw new IllegalStateException("Updater has not been initialized with view state");
        }
        if (gradient.length() != n) {
            throw new IllegalArgumentException(
                    "Gradient for this updater block must have "
                            + n
                            + " values but has "
                            + gradient.length());
        }
        if (n == 0) {
            return;
        }
        HostFloats g = new HostFloats(gradient, "gradient");
        if (grad.length < n) {
            grad = new float[n];
        }
        g.read(0, grad, 0, n);

        // The core's policy, checked over the whole block before any state is touched.
        int bad = Gradients.firstNonFinite(grad, 0, n);
        if (bad >= 0 && rule.nonFinitePolicy() == NonFinitePolicy.ERROR) {
            throw new NonFiniteGradientException(bad, grad[bad], describe(gradient, bad));
        }

        // The param feature's input: the block's parameter values before this step, from the
        // registered network (DL4J gives an updater only the gradient view).
        HostFloats paramHost = null;
        long paramOff = 0;
        if (rule.needsParameters()) {
            Dl4jParameters.ParamRange range = Dl4jParameters.registeredParams(gradient);
            if (range == null) {
                throw new IllegalStateException(
                        "This LearnedUpdater's optimizer has the param feature (features "
                                + rule.config().features().id()
                                + "), which reads the parameter values, but DL4J gives an updater"
                                + " only the gradient: register the network with"
                                + " Dl4jParameters.register(net) before fitting it");
            }
            paramHost = new HostFloats(range.params(), "parameters");
            paramOff = range.offset();
            if (params.length < Math.min(n, CHUNK)) {
                params = new float[Math.min(n, CHUNK)];
            }
        }

        for (int start = 0; start < n; start += CHUNK) {
            int c = Math.min(CHUNK, n - start);
            OptimizerState s = c == fullChunk.size() ? fullChunk : tailChunk;
            float[] window = s.data();
            // State rows are strided by n in DL4J's array and by c in the heap window.
            for (int k = 0; k < perCoordinate; k++) {
                stateHost.read((long) k * n + start, window, k * c, c);
            }
            long skippedBefore = s.skippedCount();
            s.setStepCount(Math.max(0, iteration));
            if (paramHost != null) {
                paramHost.read(paramOff + start, params, 0, c);
                rule.step(s, params, 0, grad, start, grad, start);
            } else {
                rule.step(s, grad, start, grad, start);
            }
            for (int k = 0; k < perCoordinate; k++) {
                stateHost.write((long) k * n + start, window, k * c, c);
            }
            skipped += s.skippedCount() - skippedBefore;
        }
        // Core convention: theta += update. DL4J subtracts what the updater leaves in the
        // gradient array, so the adapter writes -update (the one sign conversion for DL4J).
        for (int i = 0; i < n; i++) {
            grad[i] = 0f - grad[i]; // 0f - x, not -x: a skipped coordinate stays +0
        }
        g.write(0, grad, 0, n);
    }

    /**
     * Names where coordinate {@code i} of this block sits in the network: DL4J gives an updater
     * only a view of its block's gradient, so this is its range in the network's flattened
     * gradient; {@link Dl4jParameters#describe} maps the flat index to layer and parameter.
     */
    private String describe(INDArray gradient, int i) {
        String names = Dl4jParameters.describeRegistered(gradient, i);
        long offset = gradient.offset();
        return "DL4J updater block of "
                + n
                + " parameters"
                + (names == null
                        ? " (flattened parameter index "
                                + (offset + i)
                                + "; Dl4jParameters.describe(net, "
                                + (offset + i)
                                + ") names its layer and parameter)"
                        : ": " + names);
    }
}
