package org.l2o4j.core.lstm;

/** The plain-Java kernel: {@link LstmKernel#scalarRange} over tiles of 16 coordinates. */
final class ScalarLstmKernel extends LstmKernel {
    ScalarLstmKernel(LstmWeights weights) {
        super(weights);
    }

    @Override
    String description() {
        return "scalar";
    }

    @Override
    int tileWidth() {
        return SCALAR_TILE;
    }

    @Override
    long run(
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
            float[] scratch) {
        return scalarRange(
                s, n, grad, gradOff, upd, updOff, from, to, checkFinite, freezeZeros, scratch);
    }
}
