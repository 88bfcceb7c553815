package org.l2o4j.core.lstm;

/**
 * The inference kernel of the {@link CellType#GRU} cell: {@link GruCell#run} behind the {@link
 * LstmKernel} interface, so {@link LstmOptimizer} steps a GRU config like an LSTM one (threads,
 * chunks, ranges, policies). Plain Java; there is no Vector API version yet.
 */
final class GruKernel extends LstmKernel {
    private final GruCell cell;

    GruKernel(LstmWeights weights) {
        super(weights);
        this.cell = new GruCell(weights.config());
    }

    @Override
    String description() {
        return "gru-scalar";
    }

    @Override
    int tileWidth() {
        return GruCell.TILE;
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
