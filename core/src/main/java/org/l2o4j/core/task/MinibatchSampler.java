package org.l2o4j.core.task;

/**
 * The minibatch rows of step {@code t} of a task: {@code batch} distinct rows of {@code n}, drawn
 * uniformly by a partial Fisher-Yates shuffle from a SplitMix64 stream seeded by a hash of {@code
 * (seed, t)}, used by {@link MlpTask} and {@link ConvTask}, so tasks of one seed, step and batch
 * size see the same rows. It does not depend on earlier calls. Not thread-safe (work buffers).
 */
final class MinibatchSampler {

    /**
     * The stream's salt (shared by every task that samples with it, so tasks of one seed see the
     * same data).
     */
    private static final long BATCH_SALT = 0xB5AD4ECEDA1CE2A9L;

    private final long seed;
    private final int[] perm;
    private final int[] swaps;

    MinibatchSampler(long seed, int rows, int batch) {
        if (batch > rows) {
            throw new IllegalArgumentException(
                    "batch size " + batch + " is larger than the " + rows + " examples");
        }
        this.seed = seed;
        this.perm = new int[rows];
        for (int i = 0; i < rows; i++) {
            perm[i] = i;
        }
        this.swaps = new int[batch];
    }

    /** Writes the rows of step {@code t} into {@code rows} (length {@code batch}). */
    void select(long t, int[] rows) {
        int batch = swaps.length;
        MlpTask.SplitMix64 rng =
                new MlpTask.SplitMix64(
                        MlpTask.SplitMix64.mix(MlpTask.SplitMix64.mix(seed ^ BATCH_SALT) + t));
        int n = perm.length;
        for (int k = 0; k < batch; k++) {
            int j = k + rng.nextInt(n - k);
            swaps[k] = j;
            int tmp = perm[k];
            perm[k] = perm[j];
            perm[j] = tmp;
            rows[k] = perm[k];
        }
        for (int k = batch - 1; k >= 0; k--) {
            int j = swaps[k];
            int tmp = perm[k];
            perm[k] = perm[j];
            perm[j] = tmp;
        }
    }
}
