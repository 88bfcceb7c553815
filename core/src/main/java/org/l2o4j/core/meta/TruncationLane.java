package org.l2o4j.core.meta;

import java.util.ArrayList;
import java.util.List;

/**
 * The kernels, worker threads and reusable work buffers one thread of control uses to run task
 * truncations ({@link TaskTruncation}); not thread-safe: run one truncation at a time per lane.
 * Results do not depend on the lane's thread count.
 */
public final class TruncationLane implements AutoCloseable {
    final TruncationContext ctx;
    final DoubleBptt kernel;

    /** The float training kernel, or null for the double one. */
    final FloatBptt floatKernel;

    final Workers workers;
    final List<DoubleBptt.Storage> storagePool = new ArrayList<>();
    final List<FloatBptt.Storage> floatPool = new ArrayList<>();

    /** Phase timer, or null. */
    MetaProfile profile;

    TruncationLane(TruncationContext ctx, int threads) {
        this(ctx, new Workers(threads));
    }

    TruncationLane(TruncationContext ctx, Workers workers) {
        this.ctx = ctx;
        this.kernel = new DoubleBptt(ctx.lstmConfig());
        this.floatKernel =
                ctx.trainKernel() == BpttPrecision.FLOAT
                        ? FloatBptt.create(ctx.lstmConfig())
                        : null;
        this.workers = workers;
    }

    /** The training kernel's id: {@code float-vector}, {@code float-scalar} or {@code double}. */
    public String trainKernelId() {
        return floatKernel != null ? floatKernel.id() : "double";
    }

    @Override
    public void close() {
        workers.close();
    }
}
