package org.l2o4j.core.lstm;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.l2o4j.core.optim.Gradients;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.UpdateRule;

/**
 * The learned optimizer of Andrychowicz et al. (2016), "Learning to learn by gradient descent by
 * gradient descent": a coordinatewise LSTM (see {@link LstmConfig} for the math) applied to every
 * coordinate with the shared weights {@link LstmWeights}.
 *
 * <p>State layout ({@code 2 * hidden * layers} floats per coordinate, structure of arrays): row
 * {@code k} of coordinate {@code i} is at {@code data[k * n + i]}; for layer {@code l}, rows {@code
 * l*2H + j} hold {@code h_j} and rows {@code l*2H + H + j} hold {@code c_j}. The fresh state is all
 * zeros. Rows are contiguous over coordinates, so a kernel reads one row of a tile of consecutive
 * coordinates as one vector.
 *
 * <p>Performance: the step runs a {@link Kernel} (Vector API or scalar, chosen once per JVM, see
 * {@link Kernel}) over tiles of consecutive coordinates, with the weights repacked once per
 * optimizer. Steps of at least {@code 2 * 4096} coordinates are split over {@link #threads()}
 * threads of a persistent shared pool at tile boundaries; the results are bitwise identical for any
 * number of threads. A steady-state step allocates nothing (scratch is kept per thread). The
 * activations use an overflow-safe rational tanh (error about 1e-7) and {@code sigmoid(x) = 0.5 +
 * 0.5 tanh(x / 2)}.
 *
 * <p>Zero gradients follow the {@link ZeroGradientPolicy} ({@link #withZeroGradientPolicy}): by
 * default ({@link ZeroGradientPolicy#FREEZE}) a coordinate whose gradient is exactly {@code +-0.0}
 * gets update {@code +0.0} and keeps its state, so a parameter that gets no gradient does not drift
 * (the shipped optimizers would otherwise move it by up to 1.1e-3 per step, see {@link
 * ZeroGradientPolicy}); the other coordinates' results are bit-identical to those under {@link
 * ZeroGradientPolicy#UPDATE}, the behaviour before the option existed. The check costs one
 * comparison per coordinate; a tile with a zero stores its state through a mask.
 *
 * <p>16-bit state ({@link #withStateType}): the recurrent state can be stored in bfloat16 or
 * float16, packed two values per float slot ({@code H * L} slots per coordinate, see {@link
 * StateType}); the step computes in float32 exactly as above on the decoded state and rounds the
 * new state to nearest even when storing it.
 *
 * <p>Immutable and thread-safe; the per-coordinate state lives in {@link OptimizerState}. Steps on
 * different states may run concurrently (one uses the pool, the others run on their own thread).
 *
 * <p>Other cells: with an {@link CellType#MLP} or {@link CellType#GRU} config the same class runs
 * that cell ({@link MlpCell}, with a Vector API step when the vector kernel is selected; {@link
 * GruCell}, plain Java) with the same threads, chunks, ranges and policies; the MLP's state is its
 * features' running statistics ({@link FeatureSet#stateRows()} floats per coordinate), the GRU's
 * those plus {@code h} per layer. Only {@link StateType#FLOAT32} is supported for them. A config
 * whose features include {@code param} ({@link #needsParameters()}) is stepped with the parameter
 * values: {@link #step(OptimizerState, float[], int, float[], int, float[], int)} and {@link
 * #stepRanges(OptimizerState, float[], float[], float[], int[], int)}.
 */
public final class LstmOptimizer implements UpdateRule {
    /** The shared weights. */
    private final LstmWeights weights;

    /** Policy for NaN/Inf gradients. */
    private final NonFinitePolicy policy;

    /** Policy for exactly-zero gradients. */
    private final ZeroGradientPolicy zeroPolicy;

    /** How the state is stored between steps. */
    private final StateType stateType;

    /** Worker threads for large steps (>= 1). */
    private final int threads;

    /** Which kernel. */
    private final Kernel kernelKind;

    /** The kernel, with the weights packed for it (shared by copies with the same kernel). */
    private final LstmKernel kernel;

    private LstmOptimizer(
            LstmWeights weights,
            NonFinitePolicy policy,
            ZeroGradientPolicy zeroPolicy,
            StateType stateType,
            int threads,
            Kernel kernelKind,
            LstmKernel kernel) {
        this.weights = Objects.requireNonNull(weights, "weights");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.zeroPolicy = Objects.requireNonNull(zeroPolicy, "zero-gradient policy");
        this.stateType = Objects.requireNonNull(stateType, "state type");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1 but was " + threads);
        }
        this.threads = threads;
        this.kernelKind = Objects.requireNonNull(kernelKind, "kernel");
        this.kernel = kernel != null ? kernel : KernelSelection.create(kernelKind, weights);
    }

    /**
     * An optimizer with the given weights, the ERROR policy for non-finite gradients, the FREEZE
     * policy for zero gradients, all available processors and the {@linkplain Kernel#selected()
     * selected} kernel.
     */
    public static LstmOptimizer of(LstmWeights weights) {
        return new LstmOptimizer(
                weights,
                NonFinitePolicy.ERROR,
                ZeroGradientPolicy.FREEZE,
                StateType.FLOAT32,
                Runtime.getRuntime().availableProcessors(),
                Kernel.selected(),
                null);
    }

    /** A copy with another non-finite policy. */
    public LstmOptimizer withNonFinitePolicy(NonFinitePolicy p) {
        return new LstmOptimizer(weights, p, zeroPolicy, stateType, threads, kernelKind, kernel);
    }

    /**
     * A copy with another policy for exactly-zero gradients: {@link ZeroGradientPolicy#FREEZE} (the
     * default) leaves such a coordinate's parameter and state unchanged, {@link
     * ZeroGradientPolicy#UPDATE} runs the LSTM on it like on any other gradient (the behaviour
     * before the option existed; the meta-trainer uses it).
     */
    public LstmOptimizer withZeroGradientPolicy(ZeroGradientPolicy p) {
        if (p == zeroPolicy) {
            return this;
        }
        return new LstmOptimizer(weights, policy, p, stateType, threads, kernelKind, kernel);
    }

    /**
     * A copy that stores the state in another {@link StateType}: {@link StateType#FLOAT32} (the
     * default, {@code 2 * H * L} floats per coordinate) or, halving the state memory, {@link
     * StateType#BFLOAT16} / {@link StateType#FLOAT16} ({@code H * L} float slots per coordinate,
     * two 16-bit values in each; the step still computes in float32 and rounds the new state to
     * nearest even when storing it). A state is tied to its type: {@link StateType#convert}
     * converts one.
     */
    public LstmOptimizer withStateType(StateType t) {
        if (t == stateType) {
            return this;
        }
        if (t.packed() && !weights.config().isLstm()) {
            throw new UnsupportedOperationException(
                    "16-bit state is for the lstm cell only; this optimizer's cell is "
                            + weights.config().cell().id());
        }
        return new LstmOptimizer(weights, policy, zeroPolicy, t, threads, kernelKind, kernel);
    }

    /** How the state is stored between steps. */
    public StateType stateType() {
        return stateType;
    }

    /** A copy using {@code t} threads for large steps. */
    public LstmOptimizer withThreads(int t) {
        return new LstmOptimizer(weights, policy, zeroPolicy, stateType, t, kernelKind, kernel);
    }

    /**
     * A copy using the given kernel.
     *
     * @throws IllegalStateException for {@link Kernel#VECTOR} if the JVM lacks the {@code
     *     jdk.incubator.vector} module
     */
    public LstmOptimizer withKernel(Kernel k) {
        if (k == kernelKind) {
            return this;
        }
        return new LstmOptimizer(weights, policy, zeroPolicy, stateType, threads, k, null);
    }

    /** The kernel in use. */
    public Kernel kernel() {
        return kernelKind;
    }

    /** The weights. */
    public LstmWeights weights() {
        return weights;
    }

    /** The architecture. */
    public LstmConfig config() {
        return weights.config();
    }

    /** The policy for exactly-zero gradients. */
    public ZeroGradientPolicy zeroGradientPolicy() {
        return zeroPolicy;
    }

    /** Threads used for large steps. */
    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return "learned";
    }

    @Override
    public int stateSizePerCoordinate() {
        return stateType.slotsPerCoordinate(weights.config());
    }

    @Override
    public NonFinitePolicy nonFinitePolicy() {
        return policy;
    }

    /**
     * Whether the features include {@code param}: then steps need the parameter values ({@link
     * #step(OptimizerState, float[], int, float[], int, float[], int)}, {@link
     * #stepRanges(OptimizerState, float[], float[], float[], int[], int)}).
     */
    @Override
    public boolean needsParameters() {
        return weights.config().features().needsParam();
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalStateException if the features include {@code param} ({@link
     *     #needsParameters()}): use the overload with the parameters
     */
    @Override
    public void step(
            OptimizerState state, float[] grad, int gradOffset, float[] update, int updateOffset) {
        requireNoParams();
        step(state, null, 0, grad, gradOffset, update, updateOffset);
    }

    private void requireNoParams() {
        if (needsParameters()) {
            throw new IllegalStateException(
                    "This learned optimizer's features ("
                            + weights.config().features().id()
                            + ") include param, the parameter's value: step it with the"
                            + " parameters, step(state, params, paramOffset, grad, gradOffset,"
                            + " update, updateOffset)");
        }
    }

    @Override
    public void step(
            OptimizerState state,
            float[] params,
            int paramOffset,
            float[] grad,
            int gradOffset,
            float[] update,
            int updateOffset) {
        boolean anyBad = Gradients.checkStep(this, state, grad, gradOffset, update, updateOffset);
        if (params != null) {
            Gradients.checkParams(state, params, paramOffset);
        } else {
            requireNoParams();
        }
        int n = state.size();
        float[] s = state.data();
        LstmKernel k = kernel;
        PerThread local = PER_THREAD.get();
        int parts = parts(n, k.tileWidth());
        boolean freeze = zeroPolicy == ZeroGradientPolicy.FREEZE;
        StateType type = stateType;
        long skipped;
        if (parts <= 1) {
            skipped =
                    runRange(
                            k,
                            type,
                            local,
                            s,
                            n,
                            params,
                            paramOffset,
                            grad,
                            gradOffset,
                            update,
                            updateOffset,
                            0,
                            n,
                            anyBad,
                            freeze);
        } else {
            StepJob job = local.job;
            job.set(
                    k,
                    type,
                    s,
                    n,
                    params,
                    paramOffset,
                    grad,
                    gradOffset,
                    update,
                    updateOffset,
                    anyBad,
                    freeze,
                    parts);
            try {
                if (!KernelPool.shared().tryRun(job, parts)) {
                    // the pool is busy with another step: do all parts here (same results)
                    for (int p = 0; p < parts; p++) {
                        job.runPart(p);
                    }
                }
                skipped = job.skipped();
            } finally {
                job.clear();
            }
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    /** Runs {@code [from, to)} with the float32 or the 16-bit path, on this thread's scratch. */
    private static long runRange(
            LstmKernel k,
            StateType type,
            PerThread local,
            float[] s,
            int n,
            float[] theta,
            int thetaOff,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            boolean freeze) {
        float[] sc = local.scratch(k.scratchSize());
        if (type == StateType.FLOAT32) {
            return k.run(
                    s,
                    n,
                    theta,
                    thetaOff,
                    grad,
                    gradOff,
                    upd,
                    updOff,
                    from,
                    to,
                    checkFinite,
                    freeze,
                    sc);
        }
        float[] ts = local.tileState(k.tileStateSize());
        return k.run16(
                type, s, n, grad, gradOff, upd, updOff, from, to, checkFinite, freeze, sc, ts);
    }

    /** Coordinates per thread below which a step is not split. */
    static final int MIN_COORDS_PER_THREAD = 4096;

    /** Number of parts a step of {@code n} coordinates is split into. */
    int parts(int n, int tile) {
        if (threads <= 1 || n < 2 * MIN_COORDS_PER_THREAD) {
            return 1;
        }
        return Math.max(1, Math.min(threads, Math.min(n / MIN_COORDS_PER_THREAD, n / tile)));
    }

    private static final ThreadLocal<PerThread> PER_THREAD =
            ThreadLocal.withInitial(PerThread::new);

    /** Scratch and job object of one thread, reused across steps. */
    private static final class PerThread {
        private float[] scratch = new float[0];
        private float[] tileState = new float[0];
        private final StepJob job = new StepJob();
        private final RangeJob rangeJob = new RangeJob();

        float[] scratch(int size) {
            if (scratch.length < size) {
                scratch = new float[size];
            }
            return scratch;
        }

        float[] tileState(int size) {
            if (tileState.length < size) {
                tileState = new float[size];
            }
            return tileState;
        }
    }

    /** Coordinates per unit of work of a multithreaded step (a multiple of every tile width). */
    static final int CHUNK = 4096;

    /** One multithreaded step, split into chunks of {@link #CHUNK} coordinates. */
    private static final class StepJob implements KernelPool.Job {
        private LstmKernel kernel;
        private StateType type;
        private float[] s;
        private int n;
        private float[] theta;
        private int thetaOff;
        private float[] grad;
        private int gradOff;
        private float[] upd;
        private int updOff;
        private boolean checkFinite;
        private boolean freezeZeros;
        private int parts;
        private long[] skipped = new long[0];
        private final AtomicInteger nextChunk = new AtomicInteger();

        void set(
                LstmKernel k,
                StateType type,
                float[] s,
                int n,
                float[] theta,
                int thetaOff,
                float[] grad,
                int gradOff,
                float[] upd,
                int updOff,
                boolean checkFinite,
                boolean freezeZeros,
                int parts) {
            this.kernel = k;
            this.type = type;
            this.s = s;
            this.n = n;
            this.theta = theta;
            this.thetaOff = thetaOff;
            this.grad = grad;
            this.gradOff = gradOff;
            this.upd = upd;
            this.updOff = updOff;
            this.checkFinite = checkFinite;
            this.freezeZeros = freezeZeros;
            this.parts = parts;
            this.nextChunk.set(0);
            if (skipped.length < parts) {
                skipped = new long[parts];
            }
        }

        /** Coordinates [c * CHUNK, (c + 1) * CHUNK) form chunk c; the last one ends at n. */
        private int chunks() {
            return (n + CHUNK - 1) / CHUNK;
        }

        @Override
        public void runPart(int p) {
            PerThread local = PER_THREAD.get();
            int chunks = chunks();
            long skip = 0;
            // dynamic scheduling: whoever is free takes the next chunk; chunk boundaries are
            // fixed multiples of every tile width, so results do not depend on who runs what
            for (int c = nextChunk.getAndIncrement(); c < chunks; c = nextChunk.getAndIncrement()) {
                int from = c * CHUNK;
                int to = Math.min(n, from + CHUNK);
                skip +=
                        runRange(
                                kernel,
                                type,
                                local,
                                s,
                                n,
                                theta,
                                thetaOff,
                                grad,
                                gradOff,
                                upd,
                                updOff,
                                from,
                                to,
                                checkFinite,
                                freezeZeros);
            }
            skipped[p] = skip;
        }

        long skipped() {
            long total = 0;
            for (int p = 0; p < parts; p++) {
                total += skipped[p];
            }
            return total;
        }

        void clear() {
            kernel = null;
            s = null;
            theta = null;
            grad = null;
            upd = null;
        }
    }

    /**
     * The alignment {@link #stepRanges} needs of its range bounds: the kernel's tile width (32 with
     * AVX2, 64 with AVX-512, 16 for the scalar kernel).
     */
    public int rangeAlignment() {
        return kernel.tileWidth();
    }

    /**
     * Like {@link #step(OptimizerState, float[], int, float[], int)} with offsets 0, but only for
     * the coordinates in the ranges {@code [bounds[2k], bounds[2k+1])}, {@code k < ranges}: the
     * other coordinates' state and update are left as they are. Every bound must be a multiple of
     * {@link #rangeAlignment()} or equal to the state's size, and the ranges ascending and
     * disjoint; then each stepped coordinate's state and update are bitwise those of a full {@code
     * step} (the kernel's per-coordinate results do not depend on where a range is split at tile
     * boundaries, see design.md section 8), for any number of threads. The non-finite check and the
     * step count are those of a full step. Used by the meta-trainer for the coordinates the
     * training kernel does not step.
     *
     * @throws IllegalArgumentException if a bound is misaligned or out of order
     * @throws UnsupportedOperationException if the state is 16-bit ({@link StateType#packed()})
     */
    public void stepRanges(
            OptimizerState state, float[] grad, float[] update, int[] bounds, int ranges) {
        requireNoParams();
        stepRanges(state, null, grad, update, bounds, ranges);
    }

    /**
     * {@link #stepRanges(OptimizerState, float[], float[], int[], int)} given the parameter values
     * before the step ({@code params[i]} for coordinate {@code i}; null if the features do not
     * {@linkplain #needsParameters() need them}).
     */
    public void stepRanges(
            OptimizerState state,
            float[] params,
            float[] grad,
            float[] update,
            int[] bounds,
            int ranges) {
        if (stateType.packed()) {
            throw new UnsupportedOperationException(
                    "stepRanges supports float32 state only, but this optimizer keeps "
                            + stateType.id()
                            + " state; use step(..) or withStateType(StateType.FLOAT32)");
        }
        boolean anyBad = Gradients.checkStep(this, state, grad, 0, update, 0);
        if (params != null) {
            Gradients.checkParams(state, params, 0);
        } else {
            requireNoParams();
        }
        int n = state.size();
        LstmKernel k = kernel;
        int align = k.tileWidth();
        int prev = 0;
        long total = 0;
        for (int r = 0; r < 2 * ranges; r++) {
            int b = bounds[r];
            if (b < prev || b > n || (b % align != 0 && b != n)) {
                throw new IllegalArgumentException(
                        "Range bound " + b + " is out of order, past " + n + " or not aligned");
            }
            if ((r & 1) == 1) {
                total += b - bounds[r - 1];
            }
            prev = b;
        }
        float[] s = state.data();
        boolean freeze = zeroPolicy == ZeroGradientPolicy.FREEZE;
        PerThread local = PER_THREAD.get();
        int parts = parts((int) total, align);
        long skipped = 0;
        if (parts <= 1) {
            float[] sc = local.scratch(k.scratchSize());
            for (int r = 0; r < ranges; r++) {
                int from = bounds[2 * r];
                int to = bounds[2 * r + 1];
                if (from < to) {
                    skipped +=
                            k.run(
                                    s, n, params, 0, grad, 0, update, 0, from, to, anyBad, freeze,
                                    sc);
                }
            }
        } else {
            RangeJob job = local.rangeJob;
            job.set(k, s, n, params, grad, update, anyBad, freeze, bounds, ranges, parts);
            try {
                if (!KernelPool.shared().tryRun(job, parts)) {
                    for (int p = 0; p < parts; p++) {
                        job.runPart(p);
                    }
                }
                skipped = job.skipped();
            } finally {
                job.clear();
            }
        }
        state.addSkipped(skipped);
        state.incrementStepCount();
    }

    /**
     * A multithreaded {@link #stepRanges}: the ranges cut into units of at most {@link #CHUNK}
     * coordinates at multiples of {@code CHUNK} (tile boundaries), taken by whoever is free.
     */
    private static final class RangeJob implements KernelPool.Job {
        private LstmKernel kernel;
        private float[] s;
        private int n;
        private float[] theta;
        private float[] grad;
        private float[] upd;
        private boolean checkFinite;
        private boolean freezeZeros;
        private int parts;
        private int units;
        private int[] unitFrom = new int[0];
        private int[] unitTo = new int[0];
        private long[] skipped = new long[0];
        private final AtomicInteger next = new AtomicInteger();

        void set(
                LstmKernel k,
                float[] s,
                int n,
                float[] theta,
                float[] grad,
                float[] upd,
                boolean checkFinite,
                boolean freezeZeros,
                int[] bounds,
                int ranges,
                int parts) {
            this.kernel = k;
            this.s = s;
            this.n = n;
            this.theta = theta;
            this.grad = grad;
            this.upd = upd;
            this.checkFinite = checkFinite;
            this.freezeZeros = freezeZeros;
            this.parts = parts;
            int u = 0;
            for (int r = 0; r < ranges; r++) {
                int from = bounds[2 * r];
                int to = bounds[2 * r + 1];
                while (from < to) {
                    int end = Math.min(to, (from / CHUNK + 1) * CHUNK);
                    if (u == unitFrom.length) {
                        unitFrom = java.util.Arrays.copyOf(unitFrom, Math.max(16, 2 * u));
                        unitTo = java.util.Arrays.copyOf(unitTo, unitFrom.length);
                    }
                    unitFrom[u] = from;
                    unitTo[u] = end;
                    u++;
                    from = end;
                }
            }
            this.units = u;
            this.next.set(0);
            if (skipped.length < parts) {
                skipped = new long[parts];
            }
        }

        @Override
        public void runPart(int p) {
            float[] sc = PER_THREAD.get().scratch(kernel.scratchSize());
            long skip = 0;
            for (int u = next.getAndIncrement(); u < units; u = next.getAndIncrement()) {
                skip +=
                        kernel.run(
                                s,
                                n,
                                theta,
                                0,
                                grad,
                                0,
                                upd,
                                0,
                                unitFrom[u],
                                unitTo[u],
                                checkFinite,
                                freezeZeros,
                                sc);
            }
            skipped[p] = skip;
        }

        long skipped() {
            long total = 0;
            for (int p = 0; p < parts; p++) {
                total += skipped[p];
            }
            return total;
        }

        void clear() {
            kernel = null;
            s = null;
            theta = null;
            grad = null;
            upd = null;
        }
    }

    @Override
    public String toString() {
        return "LstmOptimizer{"
                + weights.config()
                + ", threads="
                + threads
                + ", kernel="
                + kernelKind.id()
                + ", zero gradients="
                + zeroPolicy.id()
                + (stateType == StateType.FLOAT32 ? "" : ", state=" + stateType.id())
                + "}";
    }
}
