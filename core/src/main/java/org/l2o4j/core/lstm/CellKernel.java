package org.l2o4j.core.lstm;

/**
 * The inference kernel of a cell other than the LSTM ({@link CellType#MLP}, {@link CellType#GRU}):
 * the cell's {@link InferenceCell#run} behind the {@link LstmKernel} interface, so {@link
 * LstmOptimizer} steps such a config like an LSTM one (threads, chunks, ranges, policies). The cell
 * is plain Java ({@link MlpCell}, {@link GruCell}) or, for the MLP with the vector kernel selected,
 * the Vector API's {@code VectorMlpCell} (see {@link KernelSelection#create}).
 */
final class CellKernel extends LstmKernel {
    private final InferenceCell cell;

    CellKernel(LstmWeights weights) {
        this(weights, scalarCell(weights.config()));
    }

    CellKernel(LstmWeights weights, InferenceCell cell) {
        super(weights);
        this.cell = cell;
    }

    /** The plain-Java cell of a non-LSTM config. */
    static InferenceCell scalarCell(LstmConfig c) {
        return switch (c.cell()) {
            case MLP -> new MlpCell(c);
            case GRU -> new GruCell(c);
            default ->
                    throw new IllegalArgumentException(
                            "CellKernel runs the MLP and GRU cells, not " + c.cell());
        };
    }

    @Override
    String description() {
        return cell.description();
    }

    @Override
    int tileWidth() {
        return cell.tileWidth();
    }

    @Override
    int scratchSize() {
        return cell.scratchSize();
    }

    @Override
    long run(
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
            float[] scratch) {
        return cell.run(
                packed,
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
                freezeZeros,
                scratch);
    }
}
