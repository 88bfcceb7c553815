package org.l2o4j.core.lstm;

/**
 * The float inference step of a cell other than the LSTM ({@link MlpCell}, {@link GruCell}, and the
 * Vector API's {@code VectorMlpCell}), run by {@link CellKernel} behind the {@link LstmKernel}
 * interface. Tiles of {@link #tileWidth()} coordinates ({@link #TILE} for the plain-Java cells).
 */
abstract class InferenceCell {
    /** Coordinates per tile. */
    static final int TILE = 16;

    /** The input features and their per-coordinate running statistics. */
    final FeatureSet features;

    /** Feature columns (the cell's input width). */
    final int in0;

    /** State rows of the features' statistics (the first rows of the state). */
    final int stats;

    // exp(p), exp(-p) (rounded to float as in the LSTM kernels) and 1/p of the log-sign feature
    final double expP;
    final double expNegP;
    final double invP;

    InferenceCell(LstmConfig c) {
        this.features = c.features();
        this.in0 = features.columns();
        this.stats = features.stateRows();
        double p = c.logSignP();
        this.expP = (float) Math.exp(p);
        this.expNegP = (float) Math.exp(-p);
        this.invP = 1.0 / p;
    }

    /** Floats of scratch {@link #run} needs. */
    abstract int scratchSize();

    /**
     * Fails if the features need the parameter values and {@code theta} is null (before anything is
     * computed or stored).
     */
    final void checkTheta(float[] theta) {
        if (theta == null && features.needsParam()) {
            throw FeatureSet.missingParam(features);
        }
    }

    /** Coordinates per tile of {@link #run}: range bounds split at its multiples. */
    int tileWidth() {
        return TILE;
    }

    /** A description for logs and benchmarks, e.g. {@code mlp-scalar}. */
    abstract String description();

    /**
     * Work arrays of one thread for the float steps, kept across steps so a steady-state step
     * allocates nothing (the float scratch comes from the optimizer's per-thread scratch; these are
     * the double and the extra float arrays). Shared by all cells a thread runs: a step resets what
     * it relies on (the bias-correction cache) before using it.
     */
    static final class Work {
        /** One coordinate's statistics ({@link FeatureSet#step}'s {@code st}). */
        double[] st = new double[1];

        /** One coordinate's features. */
        double[] xd = new double[1];

        /** {@link FeatureSet#step}'s bias-correction cache; element 0 NaN when fresh. */
        double[] cache = new double[1];

        /** A tile's accumulator. */
        float[] acc = new float[TILE];

        /** The vector cell's double rows (gradients, statistics, features, bias corrections). */
        double[] lanes = new double[0];

        private Work() {}

        /** This thread's work arrays, grown for {@code cell}, with a fresh cache. */
        static Work of(InferenceCell cell) {
            Work w = WORK.get();
            if (w.st.length < cell.stats) {
                w.st = new double[cell.stats];
            }
            if (w.xd.length < cell.in0) {
                w.xd = new double[cell.in0];
            }
            int cs = cell.features.cacheSize();
            if (w.cache.length < cs) {
                w.cache = new double[cs];
            }
            w.cache[0] = Double.NaN;
            return w;
        }

        /** {@link #lanes} with at least {@code size} doubles. */
        double[] lanes(int size) {
            if (lanes.length < size) {
                lanes = new double[size];
            }
            return lanes;
        }

        /** {@link #acc} with at least {@code size} floats. */
        float[] acc(int size) {
            if (acc.length < size) {
                acc = new float[size];
            }
            return acc;
        }
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    /**
     * The float inference step of coordinates {@code [from, to)} with the weights {@code p} (the
     * canonical float parameters): state rows of {@code n} in {@code s}. A coordinate with a
     * non-finite gradient (if {@code checkFinite}) or, if {@code freezeZeros}, an exactly-zero one
     * gets update {@code +0.0} and keeps its state. Returns the number of non-finite gradients
     * skipped. {@code theta[thetaOff + i]} is coordinate {@code i}'s parameter value before the
     * step, read only if the features {@linkplain FeatureSet#needsParam() need it} ({@code theta}
     * may then not be null; otherwise it may be); it is read before any update is written.
     */
    abstract long run(
            float[] p,
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
            boolean freezeZeros,
            float[] scratch);

    /**
     * The features of the tile's coordinates {@code [i0, i0 + w)} (tile width {@link #TILE}) into
     * scratch rows {@code 0 .. in0}, their statistics advanced in the state rows of {@code s}; a
     * coordinate with a non-finite gradient (if {@code checkFinite}) or, if {@code freezeZeros}, an
     * exactly-zero one gets 1 in row {@code keepRow}, zero features and an unchanged state (the
     * others 0). {@code st}, {@code xd} and {@code cache} are the caller's work arrays for {@link
     * FeatureSet#step}; {@code theta} as in {@link #run}. Returns the number of non-finite
     * gradients skipped.
     */
    final long tileFeatures(
            float[] s,
            int n,
            float[] theta,
            int thetaOff,
            float[] grad,
            int gradOff,
            int i0,
            int w,
            boolean checkFinite,
            boolean freezeZeros,
            float[] scratch,
            int keepRow,
            double[] st,
            double[] xd,
            double[] cache) {
        final int tw = TILE;
        final int xBase = 0;
        long skipped = 0;
        for (int c = 0; c < w; c++) {
            int i = i0 + c;
            float g = grad[gradOff + i];
            boolean bad = checkFinite && g - g != 0f;
            boolean keep = bad || (freezeZeros && g == 0f);
            if (bad) {
                skipped++;
            }
            scratch[keepRow + c] = keep ? 1f : 0f;
            if (keep) {
                for (int k = 0; k < in0; k++) {
                    scratch[xBase + k * tw + c] = 0f;
                }
                continue;
            }
            for (int k = 0; k < stats; k++) {
                st[k] = s[k * n + i];
            }
            double th = theta != null ? theta[thetaOff + i] : Double.NaN;
            features.step(g, th, st, xd, 0, 1, expNegP, expP, invP, cache);
            for (int k = 0; k < stats; k++) {
                s[k * n + i] = (float) st[k];
            }
            for (int k = 0; k < in0; k++) {
                scratch[xBase + k * tw + c] = (float) xd[k];
            }
        }
        return skipped;
    }
}
