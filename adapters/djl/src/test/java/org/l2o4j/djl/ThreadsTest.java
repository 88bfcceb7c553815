package org.l2o4j.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmWeights;

/**
 * The optimizer in threads other than the one that started the PyTorch engine (PyTorch's grad mode
 * is per thread), and one instance shared by trainings running concurrently.
 */
class ThreadsTest {
    private static final LstmWeights WEIGHTS = Fixtures.random(31, 0.4);
    private static final int STEPS = 12;

    private static LearnedOptimizer newOptimizer() {
        return LearnedOptimizer.builder().optWeights(WEIGHTS).build();
    }

    /** Runs {@code task} in a new thread and returns its result. */
    private static <T> T inFreshThread(Callable<T> task) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            return pool.submit(task).get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void easyTrainFitWorksInAWorkerThread() throws Exception {
        float[] before;
        float[] after;
        try (Model model = Fixtures.model("mlp", 3);
                Trainer trainer = Fixtures.trainer(model, newOptimizer())) {
            before = LearnedOptimizerTest.flatParams(model);
            NDManager m = model.getNDManager();
            NDList[] b = Fixtures.batch(m, 0);
            ArrayDataset data =
                    new ArrayDataset.Builder()
                            .setData(b[0].singletonOrThrow())
                            .optLabels(b[1].singletonOrThrow())
                            .setSampling(8, false)
                            .build();
            inFreshThread(
                    () -> {
                        EasyTrain.fit(trainer, 2, data, null);
                        return null;
                    });
            after = LearnedOptimizerTest.flatParams(model);
        }
        boolean moved = false;
        for (int i = 0; i < before.length; i++) {
            moved |= before[i] != after[i];
        }
        assertTrue(moved, "the parameters were updated");
    }

    /**
     * Trains model {@code seed} for {@link #STEPS} steps; forward and backward hold {@code lock}
     * (DJL's PyTorch engine allows one gradient collector at a time in the whole JVM), the
     * optimizer's step does not, so the two trainings' updates run concurrently. Creating the model
     * holds it too: its initial parameters come from the engine's global random generator.
     */
    private static float[] train(
            long seed, LearnedOptimizer opt, ReentrantLock lock, CyclicBarrier together)
            throws Exception {
        Model model;
        lock.lock();
        try {
            model = Fixtures.model("mlp" + seed, seed); // seeds the engine's global generator
        } finally {
            lock.unlock();
        }
        try (model;
                Trainer trainer = Fixtures.trainer(model, opt)) {
            for (int s = 0; s < STEPS; s++) {
                try (NDManager sub = trainer.getManager().newSubManager()) {
                    NDList[] b = Fixtures.batch(sub, 100 * seed + s);
                    lock.lock();
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray l = trainer.getLoss().evaluate(b[1], trainer.forward(b[0]));
                        gc.backward(l);
                    } finally {
                        lock.unlock();
                    }
                    if (together != null) {
                        together.await(); // both trainings step at the same time
                    }
                    trainer.step();
                }
            }
            return LearnedOptimizerTest.flatParams(model);
        }
    }

    @Test
    void oneSharedInstanceTrainsTwoModelsConcurrentlyLikeSequentially() throws Exception {
        ReentrantLock lock = new ReentrantLock();
        float[] seqA = inFreshThread(() -> train(1, newOptimizer(), lock, null));
        float[] seqB = inFreshThread(() -> train(2, newOptimizer(), lock, null));

        LearnedOptimizer shared = newOptimizer();
        CyclicBarrier together = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<float[]> a = pool.submit(() -> train(1, shared, lock, together));
            Future<float[]> b = pool.submit(() -> train(2, shared, lock, together));
            assertArrayEquals(seqA, a.get(), "model 1");
            assertArrayEquals(seqB, b.get(), "model 2");
            assertEquals(8, shared.stateCount(), "4 parameters of each model");
        } finally {
            pool.shutdown();
        }
    }
}
