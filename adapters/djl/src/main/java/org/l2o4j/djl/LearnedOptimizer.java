package org.l2o4j.djl;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.MemoryUsage;
import java.nio.FloatBuffer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.core.optim.StateMemory;
import org.l2o4j.core.optim.StateMemoryException;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.pretrained.PretrainedOptimizers;

/**
 * A learned optimizer (Andrychowicz et al. 2016, "Learning to learn by gradient descent by gradient
 * descent") as a DJL {@link Optimizer}: a drop-in replacement for {@code Optimizer.adam().build()}.
 *
 * <pre>{@code
 * TrainingConfig config =
 *         new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
 *                 .optOptimizer(LearnedOptimizer.pretrained());
 * }</pre>
 *
 * <p>Every scalar parameter {@code theta_i} is updated by the coordinatewise LSTM of {@code
 * l2o4j-core}: {@code [u_i, s_i] = m(g_i, s_i; phi)}, {@code theta_i <- theta_i + u_i}, with its
 * own hidden state {@code s_i} ({@link LstmOptimizer}; the update is added, as in the paper). The
 * gradient first goes through DJL's usual options, in this order: {@code g <- rescaleGrad * g},
 * clipped to {@code [-clipGrad, clipGrad]} when {@code clipGrad > 0}, then {@code g <- g +
 * weightDecay * theta}.
 *
 * <p>Lifecycle, following DJL's built-in optimizers: state is kept per (parameter id, device) and
 * created lazily on the first {@link #update}; each device's copy of a parameter has its own state,
 * and since DJL hands every device the same aggregated gradient the replicas stay identical. All
 * temporaries of an update live in an {@link NDScope}; the gradient attached to {@code weight} is
 * cleared after the update (the {@code grad} argument DJL passes is a copy, so the PyTorch engine
 * would otherwise accumulate gradients across batches). Updates of different parameters may run
 * concurrently; updates of the same (parameter, device) are serialized.
 *
 * <p>Non-finite gradients follow the rule's {@link NonFinitePolicy}. Under {@link
 * NonFinitePolicy#ERROR} (the default) a training step is all or nothing, although DJL hands the
 * optimizer one parameter at a time: the first {@link #update} of a step checks the gradients of
 * all the model's parameters (those it updated in the previous step, or, in the first step, every
 * array with a gradient in the parameter's {@link NDManager}) before it changes anything. If one is
 * NaN or infinite it clears the step's gradients and throws a {@link NonFiniteStepException} naming
 * the parameter, the coordinate and the value; no parameter and no optimizer state has changed, and
 * training can go on with the next batch exactly as if the bad one had never come. Under {@link
 * NonFinitePolicy#SKIP} the bad coordinates are left alone and the rest of the step is applied.
 *
 * <p>Where the update is computed ({@link Builder#optDevicePath}): parameters on a GPU are updated
 * on that GPU with NDArray operations, their state kept there as NDArrays (the "device path", no
 * host copies, no autograd recording); CPU parameters use the core's Java kernel. Both paths
 * compute the same function and save the same state files. A coordinate whose gradient is exactly
 * zero is left alone by default ({@link Builder#optZeroGradientPolicy}). At a model's first update
 * a memory guard checks that the optimizer state of all its parameters fits where it will live and
 * otherwise fails with a {@link StateMemoryException} before allocating anything.
 *
 * <p>DJL's {@code Model.save} does not save optimizer state. Use {@link #saveState(Path, Block)}
 * next to the model and {@link #loadState(Path, Block)} on a fresh optimizer after loading the
 * model; training then continues exactly as it would have without the interruption. The file keys
 * state by the parameters' names in the block, since DJL's parameter ids change on every load.
 *
 * <p>16-bit state ({@link Builder#optStateType}): the LSTM state can be kept in bfloat16 or
 * float16, halving its memory (160 instead of 320 bytes per parameter for 2 x 20); the step
 * computes in float32. State files record the type; loading one of another type converts it.
 *
 * <p>Only float32 parameters are supported; others get an {@link IllegalArgumentException} that
 * says how to convert the block.
 */
public class LearnedOptimizer extends Optimizer {

    /** The core rule that computes each step (usually a {@link LstmOptimizer}). */
    private final UpdateRule rule;

    /** A short description of where the rule's weights came from, for {@link #toString()}. */
    private final String source;

    /** State per parameter id, then per device; created lazily. */
    private final Map<String, Map<Device, ParameterState>> states = new ConcurrentHashMap<>();

    /** Where the time of {@link #update} goes. */
    private final StepTimings timings = new StepTimings();

    /** The steps of each model, by the root of its parameters' managers (ERROR policy only). */
    private final Map<NDManager, StepGuard> guards = new IdentityHashMap<>();

    /** Where updates run (see {@link DevicePath}). */
    private final DevicePath devicePath;

    /** The device path's NDArray implementation of the rule, or null if the rule has none. */
    private final DeviceLstm deviceLstm;

    /** Whether exactly-zero gradients leave their coordinate and its state unchanged. */
    private final boolean freezeZeroGradients;

    /** Models (roots of their parameters' managers) whose state size was checked. */
    private final Map<NDManager, Boolean> memoryChecked = new IdentityHashMap<>();

    /** Parameters' paths in their blocks (e.g. {@code 01Linear_weight}), by parameter id. */
    private final Map<String, String> namesById = new ConcurrentHashMap<>();

    /** The same, by the uid of the parameter's array. */
    private final Map<String, String> namesByArray = new ConcurrentHashMap<>();

    /** Per-group weights: which rule updates which parameter; null for one shared rule. */
    private final GroupRouting routing;

    /**
     * Creates the optimizer from its builder (use {@link #builder()} or {@link #pretrained()}).
     *
     * @param builder the builder, already validated
     */
    protected LearnedOptimizer(Builder builder, UpdateRule rule, String source) {
        super(builder);
        this.rule = rule;
        this.source = source;
        this.routing = builder.routing;
        this.devicePath = builder.devicePath;
        this.deviceLstm =
                rule instanceof LstmOptimizer lstm && lstm.config().isLstm()
                        ? new DeviceLstm(lstm, builder.deviceChunk)
                        : null; // other cells (mlp) run on the host kernel
        this.freezeZeroGradients =
                rule instanceof LstmOptimizer lstm
                        && lstm.zeroGradientPolicy() == ZeroGradientPolicy.FREEZE;
    }

    /**
     * The default pretrained optimizer ({@value PretrainedOptimizers#DEFAULT_ID}), with DJL's
     * default gradient options.
     *
     * @throws IllegalArgumentException if the pretrained weights are not available
     */
    public static LearnedOptimizer pretrained() {
        return builder().build();
    }

    /**
     * The pretrained optimizer {@code id}.
     *
     * @throws IllegalArgumentException if {@code id} is unknown; the message lists the available
     *     ids
     */
    public static LearnedOptimizer pretrained(String id) {
        return builder().optPretrained(id).build();
    }

    /** A builder; without options it builds {@link #pretrained()}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * How the optimizer state is stored ({@link Builder#optStateType}); float32 for a rule that is
     * not an {@link LstmOptimizer}.
     *
     * <p>Hook for the device path: a device-resident state keeps {@code h} and {@code c} in this
     * type (DJL's {@code DataType.BFLOAT16} / {@code FLOAT16} arrays) and converts to and from the
     * core's packed host layout ({@link StateType#pack}, {@link StateType#convert}) in {@link
     * #saveState} / {@link #loadState}, so that state files move between the paths.
     */
    public StateType stateType() {
        return StateFile.stateType(rule);
    }

    /** The core update rule this optimizer applies. */
    public UpdateRule rule() {
        return rule;
    }

    /** Where updates run (see {@link Builder#optDevicePath(DevicePath)}). */
    public DevicePath devicePath() {
        return devicePath;
    }

    /**
     * Whether exactly-zero gradients freeze their coordinate (the rule's {@link
     * ZeroGradientPolicy#FREEZE}, see {@link Builder#optZeroGradientPolicy}).
     */
    public boolean freezeZeroGradients() {
        return freezeZeroGradients;
    }

    /**
     * Whether a parameter on {@code device} is updated with NDArray operations on that device (the
     * device path) rather than by the Java kernel.
     */
    public boolean usesDevicePath(Device device) {
        if (deviceLstm == null || devicePath == DevicePath.NEVER || routing != null) {
            // per-group weights run on the Java kernel
            return false;
        }
        if (stateType() != StateType.FLOAT32) {
            // 16-bit state lives in the Java kernel's packed layout only; the device path keeps
            // float32 NDArrays (build() rejects ALWAYS with 16-bit state).
            return false;
        }
        return devicePath == DevicePath.ALWAYS || !Device.Type.CPU.equals(device.getDeviceType());
    }

    /** Timings of the updates done so far (see {@link StepTimings}). */
    public StepTimings timings() {
        return timings;
    }

    /** {@inheritDoc} */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        checkFloat32(parameterId, "parameter", weight.getDataType());
        checkFloat32(parameterId, "gradient", grad.getDataType());
        long size = weight.size();
        if (grad.size() != size) {
            throw new IllegalArgumentException(
                    "Gradient of parameter "
                            + parameterId
                            + " must have "
                            + size
                            + " values like the parameter "
                            + weight.getShape()
                            + " but has "
                            + grad.size()
                            + " "
                            + grad.getShape());
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "Parameter "
                            + parameterId
                            + " has "
                            + size
                            + " values; at most "
                            + Integer.MAX_VALUE
                            + " are supported");
        }
        // per-group weights: the parameter's group rule (an error naming the rules if none)
        UpdateRule r =
                routing == null ? rule : routing.ruleFor(parameterId, name(parameterId, weight));
        boolean onDevice = usesDevicePath(weight.getDevice()) && weight instanceof PtNDArray;
        checkMemory(weight, onDevice); // before anything of the step is recorded or changed
        if (rule.nonFinitePolicy() == NonFinitePolicy.ERROR) {
            StepGuard guard = guardFor(weight);
            guard.begin(parameterId, weight); // checks the whole step's gradients at its start
            float[] value = new float[1];
            int bad = firstNonFinite(grad, weight, value);
            if (bad >= 0) {
                // Not seen at the start of the step (e.g. a parameter new to this optimizer, or a
                // gradient given directly): this parameter is unchanged, and so is the rest of the
                // step unless parameters were updated before it.
                int applied = guard.abort(parameterId, weight);
                throw new NonFiniteStepException(
                        describe(parameterId, weight),
                        bad,
                        value[0],
                        applied == 0
                                ? NOT_APPLIED
                                : "this parameter was not updated, but "
                                        + applied
                                        + " parameter(s) updated before it in this step were"
                                        + " (the step's gradients were cleared)");
            }
        }
        ParameterState ps = stateFor(parameterId, weight.getDevice(), (int) size, r);
        synchronized (ps) {
            if (onDevice) {
                updateOnDevice(ps, weight, grad);
            } else {
                updateOnHost(ps, weight, grad);
            }
        }
    }

    /** The Java kernel: gradient to the host, the core's step, the update back to the device. */
    private void updateOnHost(ParameterState ps, NDArray weight, NDArray grad) {
        OptimizerState state = ps.hostState();
        int size = state.size();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long t0 = System.nanoTime();
            HostTransfer.read(grad, ps.grad);
            float weightDecay = getWeightDecay();
            if (weightDecay != 0f) {
                HostTransfer.read(weight, ps.update);
            }
            preprocess(ps.grad, ps.update, weightDecay);
            float[] params = null;
            if (ps.rule.needsParameters()) {
                // the param feature's input: the parameter's value before this step
                params = ps.params();
                HostTransfer.read(weight, params);
            }
            long t1 = System.nanoTime();
            // applies its ZeroGradientPolicy
            ps.rule.step(state, params, 0, ps.grad, 0, ps.update, 0);
            long t2 = System.nanoTime();
            HostTransfer.addInPlace(weight, ps.update);
            HostTransfer.clearGradient(weight);
            long t3 = System.nanoTime();
            timings.record(size, t1 - t0, t2 - t1, t3 - t2);
        }
    }

    /**
     * The device path: the whole step as NDArray operations on the parameter's device, the state
     * kept there, the parameter updated in place; no host copy, no autograd recording.
     */
    private void updateOnDevice(ParameterState ps, NDArray weight, NDArray grad) {
        boolean gradMode = JniUtils.isGradMode();
        if (gradMode) {
            JniUtils.setGradMode(false); // per thread; restored below
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            DeviceLstm.State state = ps.deviceState(deviceLstm, weight);
            long t0 = System.nanoTime();
            NDArray g = deviceGradient(grad, weight);
            long t1 = System.nanoTime();
            NDArray u =
                    deviceLstm.step(
                            state,
                            g,
                            freezeZeroGradients,
                            rule.nonFinitePolicy() == NonFinitePolicy.SKIP);
            long t2 = System.nanoTime();
            weight.addi(u.reshape(weight.getShape()));
            HostTransfer.clearGradient(weight);
            long t3 = System.nanoTime();
            timings.record(state.n, t1 - t0, t2 - t1, t3 - t2);
        } finally {
            if (gradMode) {
                JniUtils.setGradMode(true);
            }
        }
    }

    /**
     * The gradient as the rule sees it, flat, on its device: {@code rescaleGrad * g}, clipped, plus
     * {@code weightDecay * theta} (the same float operations as {@link #preprocess}).
     */
    private NDArray deviceGradient(NDArray grad, NDArray weight) {
        float rescale = rescaleGrad;
        float clip = clipGrad;
        float wd = getWeightDecay();
        NDArray g = grad.reshape(grad.size());
        if (rescale == 1f && clip <= 0f && wd == 0f) {
            return g;
        }
        g = g.mul(rescale);
        if (clip > 0f) {
            g = g.clip(-clip, clip);
        }
        if (wd != 0f) {
            g = g.add(weight.reshape(weight.size()).mul(wd));
        }
        return g;
    }

    /** The root of {@code weight}'s managers below the system manager: its model. */
    private static NDManager modelManager(NDArray weight) {
        NDManager m = weight.getManager();
        while (m.getParentManager() != null && m.getParentManager().getParentManager() != null) {
            m = m.getParentManager();
        }
        return m;
    }

    /**
     * The memory guard: the first update of a model estimates the optimizer state all its
     * parameters need (those with a gradient in the parameter's manager) on the path it takes and
     * fails with a {@link StateMemoryException} before allocating anything if that does not fit the
     * JVM heap (Java kernel) or the device (device path).
     */
    private void checkMemory(NDArray weight, boolean onDevice) {
        NDManager root = modelManager(weight);
        synchronized (memoryChecked) {
            memoryChecked.keySet().removeIf(k -> !k.isOpen());
            if (memoryChecked.putIfAbsent(root, Boolean.TRUE) != null) {
                return;
            }
        }
        long parameters = 0;
        NDManager manager = weight.getManager();
        boolean seen = false;
        for (NDArray a : manager.getManagedArrays()) {
            if (a.getManager() == manager && !a.isReleased() && a.hasGradient()) {
                parameters += a.size();
                seen |= a == weight;
            }
        }
        if (!seen) {
            parameters += weight.size();
        }
        try {
            checkMemory(parameters, weight.getDevice(), onDevice);
        } catch (StateMemoryException e) {
            synchronized (memoryChecked) {
                memoryChecked.remove(root); // checked again at the next try
            }
            throw e;
        }
    }

    /**
     * Fails with a {@link StateMemoryException} if the state of {@code parameters} parameters on
     * {@code device} does not fit (package-private for tests; the limit can be replaced with {@code
     * -D}{@value StateMemory#LIMIT_PROPERTY}).
     */
    void checkMemory(long parameters, Device device, boolean onDevice) {
        int per = rule.stateSizePerCoordinate();
        String what =
                rule instanceof LstmOptimizer lstm
                        ? "(h, c) x "
                                + lstm.config().layers()
                                + " layer(s) x "
                                + lstm.config().hidden()
                                + " units, "
                                + lstm.stateType().id()
                        : per + " float32";
        String smaller =
                rule instanceof LstmOptimizer
                        ? "a smaller cell (an LSTM optimizer with fewer layers or hidden units:"
                                + " its state is 2 x layers x hidden floats per parameter, so 1"
                                + " layer of 20 needs half of the paper's 2 x 20)"
                        : "a rule with less state per parameter";
        long stateBytes = 4L * per;
        if (onDevice) {
            long available = -1;
            String where;
            String more;
            if (Device.Type.GPU.equals(device.getDeviceType())) {
                where = "GPU " + device;
                more =
                        "use a GPU with more memory or fewer parameters per GPU, or free other"
                                + " tensors on it";
                try {
                    MemoryUsage mu = CudaUtils.getGpuMemory(device);
                    available = mu.getMax() - mu.getUsed();
                    where += " (" + StateMemory.bytes(mu.getMax()) + " in total)";
                } catch (RuntimeException | LinkageError e) {
                    available = -1; // unknown: not checked
                }
            } else {
                where =
                        "the machine's available physical memory (the device path on the CPU keeps the"
                                + " state in native memory)";
                more =
                        "use a machine with more RAM, or the Java kernel on the CPU"
                                + " (optDevicePath(NEVER))";
                available = StateMemory.availablePhysicalMemory();
            }
            StateMemory.check(parameters, stateBytes, what, available, where, more, smaller);
        } else {
            StateMemory.check(
                    parameters,
                    stateBytes + 8,
                    what + ", plus 8 bytes of gradient and update buffers",
                    StateMemory.availableHeap(),
                    StateMemory.heapDescription(),
                    "give the JVM more heap (-Xmx, e.g. -Xmx16g)",
                    smaller);
        }
    }

    private static final String NOT_APPLIED =
            "the step was not applied (no parameter or optimizer state changed)";

    /**
     * Makes the messages of this optimizer name {@code block}'s parameters by their paths in it
     * (e.g. {@code 01Linear_weight}, as {@code block.getParameters()} lists them) instead of by
     * their own names and shapes ({@code 'weight' (shape (16, 8))}). {@link #saveState} and {@link
     * #loadState} do this for their block.
     *
     * @param block the block (or model block) this optimizer trains
     */
    public void nameParameters(Block block) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter param = p.getValue();
            namesById.put(param.getId(), p.getKey());
            if (param.isInitialized()) {
                namesByArray.put(param.getArray().getUid(), p.getKey());
            }
        }
    }

    /**
     * The parameter's path in its block (after {@link #nameParameters}), else its own name, else
     * its id.
     */
    private String name(String parameterId, NDArray weight) {
        String name = parameterId == null ? null : namesById.get(parameterId);
        if (name == null) {
            name = namesByArray.get(weight.getUid());
        }
        if (name == null) {
            name = weight.getName();
        }
        return name == null || name.isEmpty() ? String.valueOf(parameterId) : name;
    }

    /** The group each parameter's weights come from (per-group weights only), by parameter id. */
    public Map<String, String> parameterGroups() {
        return routing == null ? Map.of() : Map.copyOf(routing.groupsById);
    }

    /** The parameter as messages name it: {@code '01Linear_weight'} or {@code 'weight' (shape)}. */
    private String describe(String parameterId, NDArray weight) {
        String name = parameterId == null ? null : namesById.get(parameterId);
        if (name == null) {
            name = namesByArray.get(weight.getUid());
        }
        if (name != null) {
            return "'" + name + "'";
        }
        String own = weight.getName();
        if (own == null || own.isEmpty()) {
            own = parameterId != null ? parameterId : "unnamed";
        }
        return "'" + own + "' (shape " + weight.getShape() + ")";
    }

    /**
     * The guard of the model {@code weight} belongs to: the root of its managers below the system
     * manager.
     */
    private StepGuard guardFor(NDArray weight) {
        NDManager m = modelManager(weight);
        synchronized (guards) {
            StepGuard g = guards.get(m);
            if (g == null) {
                guards.keySet().removeIf(k -> !k.isOpen()); // models closed since
                g = new StepGuard();
                guards.put(m, g);
            }
            return g;
        }
    }

    /**
     * Index of the first coordinate of {@code weight}'s attached gradient that is NaN or infinite
     * after rescaling, clipping and weight decay (exactly as {@link #update} computes it), or -1.
     */
    private int firstNonFinite(NDArray weight, float[] valueOut) {
        try (NDArray g = weight.getGradient()) {
            return firstNonFinite(g, weight, valueOut);
        }
    }

    /** The same for gradient {@code g} of {@code weight}. */
    private int firstNonFinite(NDArray g, NDArray weight, float[] valueOut) {
        if (usesDevicePath(g.getDevice()) && g instanceof PtNDArray) {
            // One reduction on the device and one boolean to the host; the host scan below runs
            // only to name the coordinate of a bad value.
            boolean gradMode = JniUtils.isGradMode();
            if (gradMode) {
                JniUtils.setGradMode(false);
            }
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray v = deviceGradient(g, weight);
                if (!v.isNaN().logicalOr(v.isInfinite()).any().getBoolean()) {
                    return -1;
                }
            } finally {
                if (gradMode) {
                    JniUtils.setGradMode(true);
                }
            }
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            FloatBuffer gb = g.toByteBuffer(true).asFloatBuffer();
            float wd = getWeightDecay();
            FloatBuffer wb = wd != 0f ? weight.toByteBuffer(true).asFloatBuffer() : null;
            float rescale = rescaleGrad;
            float clip = clipGrad;
            boolean plain = rescale == 1f && clip <= 0f && wd == 0f;
            int n = gb.remaining();
            for (int i = 0; i < n; i++) {
                float v = gb.get(i);
                if (!plain) {
                    v *= rescale;
                    if (clip > 0f) {
                        v = Math.max(-clip, Math.min(clip, v));
                    }
                    if (wb != null) {
                        v += wd * wb.get(i);
                    }
                }
                if (v - v != 0f) {
                    valueOut[0] = v;
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * Finds the steps of one model in DJL's stream of per-parameter updates, and checks all of a
     * step's gradients before its first update. DJL's {@code Trainer.step()} updates every
     * trainable parameter once per device, in the same order each step (that of its parameter map);
     * a step is over when every known parameter has been updated, or when one comes round again.
     */
    private final class StepGuard {
        /** The model's parameters (per device) seen so far, by parameter id and device. */
        private final Map<String, Member> members = new LinkedHashMap<>();

        /** Those updated in the current step. */
        private final Set<String> done = new HashSet<>();

        /** Whether a step has completed, so that {@link #members} is the whole set. */
        private boolean learned;

        private record Member(String parameterId, NDArray weight) {}

        synchronized void begin(String parameterId, NDArray weight) {
            String key = parameterId + "@" + StateFile.deviceName(weight.getDevice());
            if (done.contains(key) || (learned && done.size() >= members.size())) {
                learned = true;
                done.clear();
            }
            if (done.isEmpty()) {
                checkStep(parameterId, weight);
            }
            done.add(key);
            members.put(key, new Member(parameterId, weight));
        }

        /** The gradients to check at the start of a step: parameter id (or null) by array. */
        private Map<NDArray, String> candidates(String parameterId, NDArray weight) {
            Map<NDArray, String> c = new IdentityHashMap<>();
            members.values().removeIf(m -> m.weight().isReleased());
            for (Member m : members.values()) {
                c.put(m.weight(), m.parameterId());
            }
            if (!learned) {
                // The first step: every array with a gradient that lives directly in the
                // parameter's manager (the model's parameters; activations live in sub-managers).
                NDManager manager = weight.getManager();
                for (NDArray a : manager.getManagedArrays()) {
                    if (a.getManager() == manager && !a.isReleased() && a.hasGradient()) {
                        c.putIfAbsent(a, null);
                    }
                }
            }
            c.put(weight, parameterId);
            return c;
        }

        private void checkStep(String parameterId, NDArray weight) {
            Map<NDArray, String> candidates = candidates(parameterId, weight);
            float[] value = new float[1];
            for (Map.Entry<NDArray, String> e : candidates.entrySet()) {
                NDArray a = e.getKey();
                if (!a.hasGradient() || a.getDataType() != DataType.FLOAT32) {
                    continue; // other types fail in their own update, before any change
                }
                int bad = firstNonFinite(a, value);
                if (bad >= 0) {
                    for (NDArray other : candidates.keySet()) {
                        if (other.hasGradient()) {
                            HostTransfer.clearGradient(other);
                        }
                    }
                    throw new NonFiniteStepException(
                            describe(e.getValue(), a), bad, value[0], NOT_APPLIED);
                }
            }
        }

        /**
         * After a non-finite gradient found in the middle of a step: clears the gradients of the
         * step's parameters and ends the step.
         *
         * @return how many parameters this step had updated before
         */
        synchronized int abort(String parameterId, NDArray weight) {
            int applied = done.size() - 1;
            Map<NDArray, String> candidates = candidates(parameterId, weight);
            for (NDArray a : candidates.keySet()) {
                if (a.hasGradient()) {
                    HostTransfer.clearGradient(a);
                }
            }
            done.clear();
            return Math.max(0, applied);
        }
    }

    private static void checkFloat32(String parameterId, String what, DataType type) {
        if (type != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                    "LearnedOptimizer supports float32 parameters only, but the "
                            + what
                            + " of parameter "
                            + parameterId
                            + " is "
                            + type
                            + "; train in float32 (e.g. block.cast(DataType.FLOAT32)) and cast"
                            + " afterwards");
        }
    }

    /** Applies rescaleGrad, clipGrad and weight decay (weights in {@code weight} if wd != 0). */
    private void preprocess(float[] g, float[] weight, float weightDecay) {
        float rescale = rescaleGrad;
        float clip = clipGrad;
        if (rescale == 1f && clip <= 0f && weightDecay == 0f) {
            return;
        }
        for (int i = 0; i < g.length; i++) {
            float v = g[i] * rescale;
            if (clip > 0f) {
                v = Math.max(-clip, Math.min(clip, v));
            }
            if (weightDecay != 0f) {
                v += weightDecay * weight[i];
            }
            g[i] = v;
        }
    }

    private ParameterState stateFor(String parameterId, Device device, int size, UpdateRule r) {
        Map<Device, ParameterState> byDevice =
                states.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>());
        ParameterState ps = byDevice.get(device);
        if (ps == null) {
            synchronized (byDevice) {
                ps = byDevice.get(device);
                if (ps == null) {
                    // State loaded from a file for another device and not used yet moves here
                    // (saved on a GPU, loaded on the CPU, or the other way round).
                    for (Map.Entry<Device, ParameterState> e : byDevice.entrySet()) {
                        if (e.getValue().pending) {
                            ps = e.getValue();
                            byDevice.remove(e.getKey());
                            break;
                        }
                    }
                    if (ps == null) {
                        ps = new ParameterState(r, size, null);
                    }
                    byDevice.put(device, ps);
                }
            }
        }
        ps.pending = false;
        if (ps.size != size) {
            throw new IllegalStateException(
                    "Optimizer state of parameter "
                            + parameterId
                            + " on "
                            + device
                            + " has "
                            + ps.size
                            + " coordinates but the parameter has "
                            + size
                            + ": was the state loaded for a different model?");
        }
        return ps;
    }

    /**
     * The state of one parameter on one device, or null if it has none yet (read-only view for
     * tests and diagnostics: a copy).
     */
    public OptimizerState stateOf(String parameterId, Device device) {
        Map<Device, ParameterState> byDevice = states.get(parameterId);
        ParameterState ps = byDevice == null ? null : byDevice.get(device);
        if (ps == null) {
            return null;
        }
        synchronized (ps) {
            return ps.snapshot();
        }
    }

    /**
     * Makes {@code state} (not a copy) the state of a parameter on a device, replacing any state it
     * had; for tests that drive the adapter with externally owned state.
     */
    void bindState(String parameterId, Device device, OptimizerState state) {
        state.requirePerCoordinate(rule.stateSizePerCoordinate(), rule.name());
        states.computeIfAbsent(parameterId, k -> new ConcurrentHashMap<>())
                .put(device, new ParameterState(rule, state.size(), state));
    }

    /** Number of (parameter, device) pairs that have state. */
    public int stateCount() {
        return states.values().stream().mapToInt(Map::size).sum();
    }

    /** Drops all state: the next update of every parameter starts fresh. */
    public void resetState() {
        closeStates();
        states.clear();
    }

    /**
     * Saves the optimizer state of {@code block}'s parameters to {@code file} (e.g. beside the
     * model's {@code .params} file). Parameters without state are skipped.
     *
     * @throws IOException if writing fails
     */
    public void saveState(Path file, Block block) throws IOException {
        Path target = file.toAbsolutePath();
        Path parent = target.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // Written beside the target and moved over it: a crash while saving keeps the old file.
        Path tmp =
                Files.createTempFile(
                        parent != null ? parent : target.getRoot(),
                        target.getFileName() + ".",
                        ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                saveState(out, block);
            }
            try {
                Files.move(
                        tmp,
                        target,
                        StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Saves the state to a stream (see {@link #saveState(Path, Block)}); does not close it. */
    public void saveState(OutputStream out, Block block) throws IOException {
        nameParameters(block);
        List<StateFile.Entry> entries = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Map<Device, ParameterState> byDevice = states.get(p.getValue().getId());
            if (byDevice == null) {
                continue;
            }
            for (Map.Entry<Device, ParameterState> e : byDevice.entrySet()) {
                ParameterState ps = e.getValue();
                synchronized (ps) {
                    entries.add(
                            new StateFile.Entry(
                                    p.getKey(), StateFile.deviceName(e.getKey()), ps.snapshot()));
                }
            }
        }
        StateFile.write(out, rule, entries);
    }

    /**
     * Replaces this optimizer's state with the state saved by {@link #saveState(Path, Block)},
     * matched to {@code block}'s parameters by name.
     *
     * <p>Files written since format version 2 carry a SHA-256 checksum of their whole content; one
     * whose bytes changed in any way after saving (a flipped byte, cut short, bytes appended) is
     * rejected, and nothing is loaded. Version-1 files (without a checksum) still load, unchecked.
     *
     * <p>A state saved with another {@link StateType} than this optimizer's is converted: widening
     * a 16-bit state to float32 is exact; narrowing rounds each value to nearest even, as a step
     * does when it stores the state (so a run can switch to 16-bit state when it resumes).
     *
     * @throws DamagedStateFileException if the file is damaged or not an optimizer state file
     * @throws StateFileException if it was saved by a different update rule or names a parameter
     *     the block does not have or whose size differs
     * @throws IOException if the file cannot be read
     */
    public void loadState(Path file, Block block) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            loadState(in, file.toString(), Files.size(file), block);
        }
    }

    /** Loads state from a stream (see {@link #loadState(Path, Block)}); does not close it. */
    public void loadState(InputStream in, String sourceName, Block block) throws IOException {
        loadState(in, sourceName, -1, block);
    }

    private void loadState(InputStream in, String sourceName, long size, Block block)
            throws IOException {
        List<StateFile.Entry> entries = StateFile.read(in, sourceName, rule, size);
        Map<String, Parameter> byName = new HashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            byName.put(p.getKey(), p.getValue());
        }
        Map<String, Map<Device, ParameterState>> loaded = new LinkedHashMap<>();
        for (StateFile.Entry e : entries) {
            Parameter param = byName.get(e.parameterName());
            if (param == null) {
                throw new StateFileException(
                        sourceName,
                        "optimizer state for parameter '"
                                + e.parameterName()
                                + "' but the block has no such parameter (it has "
                                + byName.keySet()
                                + ")");
            }
            if (param.isInitialized() && param.getArray().size() != e.state().size()) {
                throw new StateFileException(
                        sourceName,
                        "optimizer state for parameter '"
                                + e.parameterName()
                                + "' has "
                                + e.state().size()
                                + " coordinates but the parameter has "
                                + param.getArray().size()
                                + " "
                                + param.getArray().getShape());
            }
            loaded.computeIfAbsent(param.getId(), k -> new ConcurrentHashMap<>())
                    .put(
                            StateFile.device(e.device(), sourceName),
                            ParameterState.loaded(
                                    routing == null
                                            ? rule
                                            : routing.ruleFor(param.getId(), e.parameterName()),
                                    e.state()));
        }
        closeStates();
        states.clear();
        states.putAll(loaded);
        nameParameters(block);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LearnedOptimizer{"
                + (routing == null ? rule : "groups " + routing.weights.groups() + ", " + rule)
                + ", from "
                + source
                + "}";
    }

    /** Frees the device memory of all states (they are dropped afterwards). */
    private void closeStates() {
        for (Map<Device, ParameterState> byDevice : states.values()) {
            for (ParameterState ps : byDevice.values()) {
                synchronized (ps) {
                    ps.close();
                }
            }
        }
    }

    /**
     * The state of one parameter on one device, in one of two places: on the host for the Java
     * kernel (with its scratch buffers), or as NDArrays on the device for the device path; it moves
     * on first use by the other path. Guarded by its own monitor.
     */
    private static final class ParameterState {
        final UpdateRule rule;
        final int size;

        /** Loaded from a file and not used yet: may move to another device. */
        volatile boolean pending;

        /**
         * The host state (Java kernel), or null while the state lives on the device or is fresh.
         */
        private OptimizerState host;

        /** The device state, or null. */
        private DeviceLstm.State device;

        float[] grad;
        float[] update;
        private float[] params;

        ParameterState(UpdateRule rule, int size, OptimizerState host) {
            this.rule = rule;
            this.size = size;
            this.host = host;
        }

        static ParameterState loaded(UpdateRule rule, OptimizerState host) {
            ParameterState ps = new ParameterState(rule, host.size(), host);
            ps.pending = true;
            return ps;
        }

        /** The host state for the Java kernel (moved from the device if it was there). */
        OptimizerState hostState() {
            if (host == null) {
                host = device != null ? device.toHost() : rule.newState(size);
                close();
            }
            if (grad == null) {
                grad = new float[size];
                update = new float[size];
            }
            return host;
        }

        /** The host copy of the parameter's values (rules with the param feature). */
        float[] params() {
            if (params == null) {
                params = new float[size];
            }
            return params;
        }

        /** The device state for the device path (moved from the host if it was there). */
        DeviceLstm.State deviceState(DeviceLstm lstm, NDArray weight) {
            if (device == null) {
                device = lstm.newState(weight.getManager(), weight.getDevice(), size, host);
                host = null;
                grad = null;
                update = null;
            }
            return device;
        }

        /** A host copy of the state, wherever it lives (fresh state if it has none yet). */
        OptimizerState snapshot() {
            if (device != null) {
                return device.toHost();
            }
            return host != null ? host.copy() : rule.newState(size);
        }

        void close() {
            if (device != null) {
                device.close();
                device = null;
            }
        }
    }

    /**
     * The builder of a {@link LearnedOptimizer}, following DJL's conventions: {@code optX} for
     * optional values, validation in {@link #build()}. The inherited {@code setRescaleGrad}, {@code
     * optClipGrad} and {@code optWeightDecays} work as for DJL's built-in optimizers.
     *
     * <p>The weights come from exactly one of {@link #optPretrained(String)} (the default: {@value
     * PretrainedOptimizers#DEFAULT_ID}), {@link #optWeights(Path)}, {@link
     * #optWeights(LstmWeights)} or {@link #optUpdateRule(UpdateRule)}.
     */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private String pretrainedId;
        private Path weightsFile;
        private LstmWeights weights;
        private UpdateRule updateRule;
        private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.ERROR;
        private ZeroGradientPolicy zeroGradientPolicy; // null: FREEZE
        private StateType stateType; // null: FLOAT32
        private Integer threads; // null: all processors
        private DevicePath devicePath = DevicePath.AUTO;
        private int deviceChunk = DeviceLstm.DEFAULT_CHUNK;
        private Path groupedFile;
        private GroupedWeights groupedWeights;
        private final List<String[]> groupRules = new ArrayList<>();
        private GroupRouting routing;

        Builder() {}

        /**
         * Uses a per-group weight file (one weight set per parameter group, the paper's LSTM-sep;
         * {@code GroupedWeightFiles}); a shared weight file works as {@link #optWeights(Path)}.
         * Each parameter takes the weights of the group its name maps to by the {@linkplain
         * #optGroupRule rules}. Parameters are named by their paths in the block ({@code
         * 01Conv2d_weight}) once {@link LearnedOptimizer#nameParameters} has seen the block (call
         * it before training; {@code saveState}/{@code loadState} also do), otherwise by their own
         * names ({@code weight}), which the default rules do not match. Per-group weights run on
         * the Java kernel (not on the device path).
         *
         * @param file the weight file
         * @return this {@code Builder}
         */
        public Builder optGroupedWeights(Path file) {
            this.groupedFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Uses per-group weights (see {@link #optGroupedWeights(Path)}).
         *
         * @param weights the weights
         * @return this {@code Builder}
         */
        public Builder optGroupedWeights(GroupedWeights weights) {
            this.groupedWeights = Objects.requireNonNull(weights, "weights");
            return this;
        }

        /**
         * Maps parameters whose name contains a match of {@code regex} ({@link
         * java.util.regex.Matcher#find}) to the weights of {@code group}. Rules are tried in the
         * order given, then the defaults {@link GroupRouting#DEFAULT_RULES}: {@code
         * (?i)conv[^_]*_weight$} to {@code conv-kernels}, {@code (?i)conv[^_]*_bias$} to {@code
         * conv-biases}, {@code (?i)linear[^_]*_weight$} to {@code dense-weights}, {@code
         * (?i)linear[^_]*_bias$} to {@code dense-biases} (DJL's {@code Conv2d} and {@code Linear}
         * blocks). A parameter no rule matches, or a rule naming a group the weights lack, is an
         * error at its first update naming the parameter, the rules and the weights' groups.
         *
         * @param regex a Java regular expression
         * @param group a group of the per-group weights
         * @return this {@code Builder}
         */
        public Builder optGroupRule(String regex, String group) {
            java.util.regex.Pattern.compile(Objects.requireNonNull(regex, "regex"));
            groupRules.add(new String[] {regex, Objects.requireNonNull(group, "group")});
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Uses the pretrained optimizer {@code id} (see {@code PretrainedOptimizers.ids()}).
         *
         * @param id the registry id, e.g. {@value PretrainedOptimizers#DEFAULT_ID}
         * @return this {@code Builder}
         */
        public Builder optPretrained(String id) {
            this.pretrainedId = Objects.requireNonNull(id, "id");
            return this;
        }

        /**
         * Uses the weights in a weight file (safetensors, written by the l2o4j meta-trainer).
         *
         * @param file the weight file
         * @return this {@code Builder}
         */
        public Builder optWeights(Path file) {
            this.weightsFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Uses the given weights, e.g. fresh from {@code MetaTrainer.train()}.
         *
         * @param weights the LSTM optimizer's weights
         * @return this {@code Builder}
         */
        public Builder optWeights(LstmWeights weights) {
            this.weights = Objects.requireNonNull(weights, "weights");
            return this;
        }

        /**
         * Uses any core update rule instead of a learned one (e.g. {@code new
         * org.l2o4j.core.optim.Adam(1e-3)}); useful to compare rules through the same adapter.
         *
         * @param rule the update rule (its own non-finite policy applies)
         * @return this {@code Builder}
         */
        public Builder optUpdateRule(UpdateRule rule) {
            this.updateRule = Objects.requireNonNull(rule, "rule");
            return this;
        }

        /**
         * What to do with NaN/Inf gradients: {@link NonFinitePolicy#ERROR} (default) throws, {@link
         * NonFinitePolicy#SKIP} leaves those coordinates unchanged.
         *
         * @param policy the policy
         * @return this {@code Builder}
         */
        public Builder optNonFinitePolicy(NonFinitePolicy policy) {
            this.nonFinitePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * What to do with exactly-zero gradients ({@code +-0.0}, e.g. a weight from an input that
         * is always 0, or a dead ReLU unit): {@link ZeroGradientPolicy#FREEZE} (default) leaves
         * such a coordinate and its optimizer state unchanged; {@link ZeroGradientPolicy#UPDATE}
         * runs the LSTM on it anyway, which moves it a little every step (the behaviour before the
         * option existed).
         *
         * @param policy the policy
         * @return this {@code Builder}
         */
        public Builder optZeroGradientPolicy(ZeroGradientPolicy policy) {
            this.zeroGradientPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Where parameters are updated: {@link DevicePath#AUTO} (default) computes the update of a
         * parameter on a GPU with NDArray operations on that GPU, keeping its optimizer state
         * there, and uses the core's Java kernel for CPU parameters; {@link DevicePath#ALWAYS} uses
         * NDArray operations for CPU parameters too; {@link DevicePath#NEVER} always copies to the
         * Java kernel and back. Both paths compute the same function (agreement about 1e-6
         * relative) and save the same state files.
         *
         * @param path the path
         * @return this {@code Builder}
         */
        public Builder optDevicePath(DevicePath path) {
            this.devicePath = Objects.requireNonNull(path, "path");
            return this;
        }

        /** Coordinates per piece of a device-path step (tests use small pieces). */
        Builder deviceChunk(int chunk) {
            this.deviceChunk = chunk;
            return this;
        }

        /**
         * How the LSTM state is stored: {@link StateType#FLOAT32} (default, {@code 2 x hidden x
         * layers} floats per parameter, 320 bytes for 2 x 20) or {@link StateType#BFLOAT16} /
         * {@link StateType#FLOAT16}, which halve it (two 16-bit values per float); the step still
         * computes in float32 and rounds the new state to nearest even. {@link #saveState} records
         * the type; {@link #loadState} converts a state saved with another type.
         *
         * @param type the state type
         * @return this {@code Builder}
         */
        public Builder optStateType(StateType type) {
            this.stateType = Objects.requireNonNull(type, "state type");
            return this;
        }

        /**
         * Threads the LSTM kernel may use for one large parameter (default: all processors).
         *
         * @param threads at least 1
         * @return this {@code Builder}
         */
        public Builder optThreads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * Builds the optimizer, loading its weights.
         *
         * @return the {@link LearnedOptimizer}
         * @throws IllegalArgumentException if more than one weight source is set, a pretrained id
         *     is unknown (the message lists the known ids), a weight file cannot be read, or an
         *     option is out of range
         */
        public LearnedOptimizer build() {
            routing = null;
            int sources =
                    (pretrainedId != null ? 1 : 0)
                            + (groupedFile != null ? 1 : 0)
                            + (groupedWeights != null ? 1 : 0)
                            + (weightsFile != null ? 1 : 0)
                            + (weights != null ? 1 : 0)
                            + (updateRule != null ? 1 : 0);
            if (sources > 1) {
                throw new IllegalArgumentException(
                        "Set at most one of optPretrained, optWeights(Path), optWeights(LstmWeights),"
                                + " optGroupedWeights and optUpdateRule, but "
                                + sources
                                + " were set");
            }
            if (threads != null && threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1 but was " + threads);
            }
            if (updateRule != null && zeroGradientPolicy != null) {
                throw new IllegalArgumentException(
                        "optZeroGradientPolicy applies to learned weights; configure the rule"
                                + " given to optUpdateRule directly");
            }
            if (updateRule != null
                    && !(updateRule instanceof LstmOptimizer)
                    && devicePath == DevicePath.ALWAYS) {
                throw new IllegalArgumentException(
                        "optDevicePath(ALWAYS) needs learned LSTM weights; "
                                + updateRule.name()
                                + " runs on the host only");
            }
            if (devicePath == DevicePath.ALWAYS
                    && stateType != null
                    && stateType != StateType.FLOAT32) {
                throw new IllegalArgumentException(
                        "optStateType("
                                + stateType
                                + ") is not available on the device path yet (its state is"
                                + " float32 NDArrays); use optDevicePath(AUTO) or NEVER, which"
                                + " run 16-bit state on the Java kernel, or StateType.FLOAT32");
            }
            if (updateRule != null && stateType != null) {
                throw new IllegalArgumentException(
                        "optStateType applies to learned weights; configure the rule given to"
                                + " optUpdateRule directly (LstmOptimizer.withStateType)");
            }
            if (updateRule != null) {
                if (threads != null || nonFinitePolicy != NonFinitePolicy.ERROR) {
                    throw new IllegalArgumentException(
                            "optThreads and optNonFinitePolicy apply to learned weights; configure"
                                    + " the rule given to optUpdateRule directly");
                }
                return new LearnedOptimizer(this, updateRule, updateRule.name());
            }
            LstmWeights w;
            String source;
            GroupedWeights gw = groupedWeights;
            if (groupedFile != null) {
                try {
                    gw = GroupedWeightFiles.read(groupedFile);
                } catch (IOException e) {
                    throw new IllegalArgumentException(
                            "Cannot read optimizer weights from " + groupedFile + ": " + e, e);
                }
            }
            if (gw != null && !gw.isShared()) {
                if (devicePath == DevicePath.ALWAYS) {
                    throw new IllegalArgumentException(
                            "per-group weights run on the Java kernel; use optDevicePath(AUTO) or"
                                    + " NEVER");
                }
                List<LstmOptimizer> opts = new ArrayList<>();
                for (int g = 0; g < gw.groups().size(); g++) {
                    opts.add(configure(LstmOptimizer.of(gw.weights(g))));
                }
                routing = new GroupRouting(gw, opts, groupRules);
                return new LearnedOptimizer(
                        this,
                        opts.get(0),
                        groupedFile != null ? groupedFile.toString() : "given per-group weights");
            }
            if (gw != null) {
                w = gw.weights(0);
                source = groupedFile != null ? groupedFile.toString() : "given weights";
            } else if (weights != null) {
                w = weights;
                source = "given weights";
            } else if (weightsFile != null) {
                try {
                    w = WeightFiles.read(weightsFile);
                } catch (IOException e) {
                    throw new IllegalArgumentException(
                            "Cannot read optimizer weights from " + weightsFile + ": " + e, e);
                }
                source = weightsFile.toString();
            } else {
                String id = pretrainedId != null ? pretrainedId : PretrainedOptimizers.DEFAULT_ID;
                w = Pretrained.load(id);
                source = "pretrained " + id;
            }
            return new LearnedOptimizer(this, configure(LstmOptimizer.of(w)), source);
        }

        /** The builder's options applied to an optimizer. */
        private LstmOptimizer configure(LstmOptimizer base) {
            LstmOptimizer lstm =
                    base.withNonFinitePolicy(nonFinitePolicy)
                            .withZeroGradientPolicy(
                                    zeroGradientPolicy != null
                                            ? zeroGradientPolicy
                                            : ZeroGradientPolicy.FREEZE)
                            .withStateType(stateType != null ? stateType : StateType.FLOAT32);
            if (threads != null) {
                lstm = lstm.withThreads(threads);
            }
            return lstm;
        }
    }
}
