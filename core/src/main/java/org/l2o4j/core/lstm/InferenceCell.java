package org.l2o4j.core.lstm;

/**
 * The float inference step of a cell other than the LSTM ({@link MlpCell}, {@link GruCell}), run by
 * {@link CellKernel} behind the {@link LstmKernel} interface. Tiles of {@link #TILE} coordinates.
 */
abstract class InferenceCell {
    /** Coordinates per tile. */
    static final int TILE = 16;

    /** Floats of scratch {@link #run} needs. */
    abstract int scratchSize();

    /**
     * The float inference step of coordinates {@code [from, to)} with the weights {@code p} (the
     * canonical float parameters): state rows of {@code n} in {@code s}. A coordinate with a
     * non-finite gradient (if {@code checkFinite}) or, if {@code freezeZeros}, an exactly-zero one
     * gets update {@code +0.0} and keeps its state. Returns the number of non-finite gradients
     * skipped.
     */
    abstract long run(
            float[] p,
            float[] s,
            int n,
            float[] grad,
            int gradOff,
            float[] upd,
            int updOff,
            int from,
            int to,
            boolean checkFinite,
            boolean freezeZeros,
            float[] scratch);
}
