package org.l2o4j.core.lstm;

/**
 * The inference kernel of a cell other than the LSTM ({@link CellType#MLP}, {@link CellType#GRU}):
 * the cell's {@link InferenceCell#run} behind the {@link LstmKernel} interface, so {@link
 * LstmOptimizer} steps such a config like an LSTM one (threads, chunks, ranges, policies). Plain
 * Java; there is no Vector API version yet.
 */
final class CellKernel extends LstmKernel {
    private final InferenceCell cell;
    private final String description;

    CellKernel(LstmWeights weights) {
        super(weights);
        CellType type = weights.config().cell();
        this.cell =
                switch (type) {
                    case MLP -> new MlpCell(weights.config());
                    case GRU -> new GruCell(weights.config());
                    default ->
                            throw new IllegalArgumentException(
                                    "CellKernel runs the MLP and GRU cells, not " + type);
                };
        this.description = type.id() + "-scalar";
    }

    @Override
    String description() {
        return description;
    }

    @Override
    int tileWidth() {
        return InferenceCell.TILE;
    }

    @Override
    int scratchSize() {
        return cell.scratchSize();
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
        return cell.run(
                packed,
                s,
                n,
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
