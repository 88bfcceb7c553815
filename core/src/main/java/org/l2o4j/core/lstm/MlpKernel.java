package org.l2o4j.core.lstm;

/**
 * The inference kernel of the {@link CellType#MLP} cell: {@link MlpCell#run} behind the {@link
 * LstmKernel} interface, so {@link LstmOptimizer} steps an MLP config like an LSTM one (threads,
 * chunks, ranges, policies). Plain Java; there is no Vector API version yet.
 */
final class MlpKernel extends LstmKernel {
    private final MlpCell cell;

    MlpKernel(LstmWeights weights) {
        super(weights);
        this.cell = new MlpCell(weights.config());
    }

    @Override
    String description() {
        return "mlp-scalar";
    }

    @Override
    int tileWidth() {
        return MlpCell.TILE;
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
