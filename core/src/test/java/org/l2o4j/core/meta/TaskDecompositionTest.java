package org.l2o4j.core.meta;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.LstmConfig;
import org.l2o4j.core.lstm.Preprocessing;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/**
 * The meta-gradient decomposes by task: running every task's truncation from its serialized carried
 * state, in a fresh lane with another thread count and in another task order (what a distributed
 * executor does), gives the same weights bit for bit as the local executor.
 */
class TaskDecompositionTest {

    /** Truncations run from serialized states, tasks in reverse order, one thread, fresh lanes. */
    static final class SerializingExecutor implements TruncationExecutor {
        private final TruncationContext ctx;
        private final TaskFamily family;
        private TaskState[] states;
        private int iteration;
        int truncations;

        SerializingExecutor(TruncationContext ctx, TaskFamily family) {
            this.ctx = roundTrip(ctx);
            this.family = family;
        }

        @Override
        public void beginIteration(int it) {
            iteration = it;
            states = null;
        }

        @Override
        public MetaGradientContribution[] runTruncation(int k, double[] phi) {
            int p = ctx.tasksPerIteration();
            MetaGradientContribution[] out = new MetaGradientContribution[p];
            TaskState[] next = new TaskState[p];
            for (int m = p - 1; m >= 0; m--) {
                try (TruncationLane lane = ctx.newLane(1 + (m + k) % 2)) {
                    TaskTruncation t =
                            states == null
                                    ? TaskTruncation.start(lane, family, iteration, m)
                                    : TaskTruncation.restore(lane, family, roundTrip(states[m]));
                    out[m] = roundTrip(t.run(phi.clone(), k));
                    next[m] = t.state();
                }
            }
            states = next;
            truncations++;
            return out;
        }

        @Override
        public void close() {}
    }

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(T o) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(o);
            }
            try (ObjectInputStream in =
                    new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                return (T) in.readObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(MetaTrainingConfig config) throws IOException {
        float[] local = new MetaTrainer(config).train().parameters();
        SerializingExecutor ex =
                new SerializingExecutor(TruncationContext.of(config), config.taskFamily());
        float[] split = new MetaTrainer(config).executor(ex).train().parameters();
        assertArrayEquals(local, split);
        assertEquals(config.iterations() * config.truncationsPerRun(), ex.truncations);
    }

    @Test
    void quadraticFloatKernel() throws IOException {
        check(MetaTrainerTest.small().iterations(3).tasksPerIteration(4).threads(2).build());
    }

    @Test
    void quadraticDoubleKernel() throws IOException {
        check(
                MetaTrainerTest.small()
                        .iterations(3)
                        .tasksPerIteration(4)
                        .threads(2)
                        .trainKernel(BpttPrecision.DOUBLE)
                        .build());
    }

    private static MetaTrainingConfig.Builder mlp() {
        return MetaTrainingConfig.builder()
                .taskFamily(TaskFamilies.parse("mnist-mlp[hidden=8,batch=16,data-dir=bundled]"))
                .lstmConfig(
                        LstmConfig.builder()
                                .preprocessing(Preprocessing.LOG_SIGN)
                                .hidden(8)
                                .build())
                .horizon(8)
                .unroll(4)
                .validationTasks(1)
                .tasksPerIteration(3)
                .coordinateSubsample(512)
                .iterations(2)
                .threads(2)
                .seed(5);
    }

    @Test
    void mnistMlpWithSubsampleFloatKernel() throws IOException {
        check(mlp().build());
    }

    @Test
    void mnistMlpWithSubsampleDoubleKernel() throws IOException {
        check(mlp().trainKernel(BpttPrecision.DOUBLE).build());
    }

    /** Three truncations: a restored state is used before its first float step. */
    @Test
    void mnistMlpWithSubsampleDoubleKernelThreeTruncations() throws IOException {
        check(mlp().horizon(12).iterations(1).trainKernel(BpttPrecision.DOUBLE).build());
    }

    @Test
    void theSubsampleIsSplitEvenlyOverTheTasks() {
        TruncationContext ctx = TruncationContext.of(mlp().build());
        // ceil(512/64) = 8 blocks over 3 tasks: ceil(8/3) = 3 per task
        assertEquals(3, ctx.blocksPerTask(100));
        assertEquals(2, ctx.blocksPerTask(2));
        int[] a = ctx.chooseBlocks(100, 1, 2, 0);
        assertArrayEquals(a, ctx.chooseBlocks(100, 1, 2, 0));
        assertEquals(3, a.length);
    }
}
