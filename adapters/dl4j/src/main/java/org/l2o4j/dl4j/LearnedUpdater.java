package org.l2o4j.dl4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.l2o4j.core.io.GroupedWeightFiles;
import org.l2o4j.core.io.Sha256;
import org.l2o4j.core.io.WeightFiles;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.optim.NonFinitePolicy;
import org.l2o4j.pretrained.PretrainedOptimizers;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.schedule.ISchedule;
import org.nd4j.shade.jackson.annotation.JsonIgnore;
import org.nd4j.shade.jackson.annotation.JsonInclude;

/**
 * The learned optimizer of Andrychowicz et al. (2016), "Learning to learn by gradient descent by
 * gradient descent", as a Deeplearning4j updater: use {@code .updater(LearnedUpdater.pretrained())}
 * where you had {@code .updater(new Adam(1e-3))}, globally, per layer, as {@code biasUpdater} or in
 * a {@code FineTuneConfiguration}. Layers given different weights form separate DL4J updater
 * blocks, which gives the paper's separate optimizers for convolutional and fully connected layers.
 *
 * <p>Per coordinate and step, the shared 2-layer LSTM {@code m} maps the gradient and its hidden
 * state to an update, {@code [g_t, h_{t+1}] = m(grad_t, h_t; phi)}, and the parameters move by
 * {@code theta_{t+1} = theta_t + g_t}. The math is the core kernel's ({@link LstmOptimizer}); this
 * class only translates: DL4J subtracts the updater's output from the parameters, so the adapter
 * writes {@code -g_t} into the gradient array (the one sign conversion for DL4J).
 *
 * <p>This is the serializable configuration half (like DL4J's {@code Adam}); the stateful half is
 * {@link LearnedGradientUpdater}. The per-coordinate LSTM state, {@link #stateSize} = {@code
 * numParams x 2 x hidden x layers} floats (80 per parameter for the paper's architecture), lives in
 * DL4J's updater state view array, so {@code ModelSerializer} saves and restores it. Before DL4J
 * allocates it, a memory guard checks that the network's total fits ND4J's off-heap limit and
 * DL4J's limit of 2^31 - 1 state values, and otherwise fails with a {@link
 * org.l2o4j.core.optim.StateMemoryException} giving the estimate and the options.
 *
 * <p><b>Serialization.</b> The JSON form references the weights by pretrained id <em>or</em> by
 * absolute file path, always with the SHA-256 of the weights, never inlined: {@code
 * {"@class":"org.l2o4j.dl4j.LearnedUpdater","weightsId":"general-v1","weightsSha256":"...",
 * "nonFinitePolicy":"ERROR","zeroGradientPolicy":"FREEZE","stateType":"FLOAT32"}}. The weights are
 * loaded (and the checksum verified) when DL4J first needs them: at network initialization or
 * restore. If they cannot be found, or their checksum differs, the error names the expected id/path
 * and checksum. The class name is part of saved models: do not rename it.
 *
 * <p><b>Learning rate.</b> The learned optimizer has no learning rate (its step size is learned),
 * so this updater behaves like DL4J's {@code AdaDelta} and {@code NoOp}: {@link #hasLearningRate()}
 * is false, {@link #getLearningRate} returns {@code NaN} (DL4J's {@code NetworkUtils} then reports
 * {@code null}), DL4J's {@code net.setLearningRate(..)} leaves layers with this updater unchanged,
 * and calling {@link #setLrAndSchedule} directly throws {@link UnsupportedOperationException}. One
 * consequence of DL4J's convention: a weight decay configured with {@code applyLR=true} is applied
 * with learning rate 1.
 *
 * <p><b>Non-finite gradients</b> follow the {@link NonFinitePolicy} (default {@code ERROR}, see
 * {@link #withNonFinitePolicy}): under {@code ERROR} nothing is modified and a {@link
 * org.l2o4j.core.optim.NonFiniteGradientException} names the coordinate; under {@code SKIP} the
 * coordinate gets a zero update and keeps its state.
 *
 * <p><b>Zero gradients</b> follow the {@link ZeroGradientPolicy} (default {@code FREEZE}, see
 * {@link #withZeroGradientPolicy}): a parameter whose gradient is exactly {@code +-0.0} (a frozen
 * or unused embedding row, a weight from an input that is always 0, a dead ReLU unit) is left
 * unchanged and its LSTM state does not advance; {@code UPDATE} runs the LSTM on it anyway, which
 * moves it a little every step (the shipped optimizers by up to 1.1e-3 per step). A configuration
 * saved before this option existed has no {@code zeroGradientPolicy} in its JSON and restores with
 * {@code FREEZE}.
 *
 * <p><b>16-bit state</b> ({@link #withStateType}, default {@code FLOAT32}): {@code BFLOAT16} or
 * {@code FLOAT16} keep the LSTM state in 16 bits, packed two values per float of DL4J's state view,
 * halving {@link #stateSize} (160 instead of 320 bytes per parameter for 2 x 20); the step computes
 * in float32. The JSON carries {@code "stateType"}; JSON without it restores as {@code FLOAT32}.
 *
 * <p>Instances are immutable (the resolved weights are a transient cache).
 */
public final class LearnedUpdater implements IUpdater {
    private static final long serialVersionUID = 1L;

    /** Pretrained id (from {@link PretrainedOptimizers}); null when referenced by path. */
    private String weightsId;

    /** Absolute path of a weight file; null when referenced by id. */
    private String weightsPath;

    /** SHA-256 (lower-case hex) of the weight file, checked whenever the weights are loaded. */
    private String weightsSha256;

    /** What to do with NaN/Inf gradients. */
    private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.ERROR;

    /** What to do with exactly-zero gradients (FREEZE when absent from older JSON). */
    private ZeroGradientPolicy zeroGradientPolicy = ZeroGradientPolicy.FREEZE;

    /** How the LSTM state is stored (FLOAT32 when absent from older JSON). */
    private StateType stateType = StateType.FLOAT32;

    /**
     * The group of a per-group weight file whose weights this updater uses; null for a shared file
     * or a pretrained id (then absent from the JSON, as before per-group files existed).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private String weightsGroup;

    /** The resolved optimizer (not serialized; loaded lazily from the reference). */
    @JsonIgnore private transient volatile LstmOptimizer optimizer;

    /** How to use a restored network whose updater weights are gone. */
    private static final String INFERENCE_HINT =
            "restore with loadUpdater=false (ModelSerializer.restoreMultiLayerNetwork(file, false))"
                    + " to use the network for inference";

    /** For Jackson (DL4J's JSON) only. */
    private LearnedUpdater() {}

    private LearnedUpdater(
            String weightsId,
            String weightsPath,
            String weightsSha256,
            NonFinitePolicy policy,
            ZeroGradientPolicy zeroPolicy,
            StateType stateType,
            LstmOptimizer optimizer) {
        this.weightsId = weightsId;
        this.weightsPath = weightsPath;
        this.weightsSha256 = weightsSha256;
        this.nonFinitePolicy = Objects.requireNonNull(policy, "policy");
        this.zeroGradientPolicy = Objects.requireNonNull(zeroPolicy, "zero-gradient policy");
        this.stateType = Objects.requireNonNull(stateType, "state type");
        this.optimizer =
                optimizer == null
                        ? null
                        : optimizer
                                .withNonFinitePolicy(policy)
                                .withZeroGradientPolicy(zeroPolicy)
                                .withStateType(stateType);
    }

    /**
     * The default shipped optimizer ({@link PretrainedOptimizers#DEFAULT_ID}).
     *
     * @throws IllegalStateException if it is not installed (the message lists what is)
     */
    public static LearnedUpdater pretrained() {
        return pretrained(PretrainedOptimizers.DEFAULT_ID);
    }

    /**
     * A shipped optimizer by id; the weights are loaded and checked now.
     *
     * @throws IllegalArgumentException if {@code id} is unknown (the message lists the known ids)
     * @throws IllegalStateException if the weights cannot be loaded
     */
    public static LearnedUpdater pretrained(String id) {
        Objects.requireNonNull(id, "id");
        LstmWeights w = loadPretrained(id);
        String sha = pretrainedSha256(id);
        return new LearnedUpdater(
                id,
                null,
                sha,
                NonFinitePolicy.ERROR,
                ZeroGradientPolicy.FREEZE,
                StateType.FLOAT32,
                LstmOptimizer.of(w));
    }

    /**
     * Weights from an l2o4j weight file (safetensors, as written by the meta-trainer). The
     * configuration records the file's absolute path and SHA-256; the file must stay there (or be
     * put back) to restore a saved network.
     *
     * @throws IllegalArgumentException if the file does not exist or is not a valid weight file
     */
    public static LearnedUpdater fromFile(Path file) {
        Objects.requireNonNull(file, "file");
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) {
            throw new IllegalArgumentException(
                    "LearnedUpdater weight file " + abs + " does not exist or is not a file");
        }
        try {
            String sha = Sha256.of(abs);
            LstmWeights w = WeightFiles.read(abs, sha);
            return new LearnedUpdater(
                    null,
                    abs.toString(),
                    sha,
                    NonFinitePolicy.ERROR,
                    ZeroGradientPolicy.FREEZE,
                    StateType.FLOAT32,
                    LstmOptimizer.of(w));
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "Cannot read LearnedUpdater weight file " + abs + ": " + e.getMessage(), e);
        }
    }

    /**
     * The weights of group {@code group} of a per-group weight file ({@link GroupedWeightFiles});
     * for a shared weight file, the shared weights (a shared file applies to every group), exactly
     * as {@link #fromFile(Path)}. The configuration records the path, the SHA-256 and the group.
     * {@link PerGroupLearnedUpdaters} sets these per layer.
     *
     * @throws IllegalArgumentException if the file is missing or invalid, or has no such group (the
     *     message lists the file's groups)
     */
    public static LearnedUpdater fromFile(Path file, String group) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(group, "group");
        Path abs = file.toAbsolutePath().normalize();
        if (!Files.isRegularFile(abs)) {
            throw new IllegalArgumentException(
                    "LearnedUpdater weight file " + abs + " does not exist or is not a file");
        }
        try {
            String sha = Sha256.of(abs);
            GroupedWeights g = GroupedWeightFiles.read(abs);
            if (g.isShared()) {
                return fromFile(abs);
            }
            LstmWeights w;
            try {
                w = g.weights(group);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "LearnedUpdater weight file " + abs + ": " + e.getMessage(), e);
            }
            return new LearnedUpdater(
                            null,
                            abs.toString(),
                            sha,
                            NonFinitePolicy.ERROR,
                            ZeroGradientPolicy.FREEZE,
                            StateType.FLOAT32,
                            LstmOptimizer.of(w))
                    .group(group);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "Cannot read LearnedUpdater weight file " + abs + ": " + e.getMessage(), e);
        }
    }

    /** Sets the group of a freshly made copy. */
    private LearnedUpdater group(String g) {
        this.weightsGroup = g;
        return this;
    }

    /** The group of a per-group weight file, or null for a shared file or a pretrained id. */
    public String weightsGroup() {
        return weightsGroup;
    }

    /** A copy with another policy for NaN/Inf gradients. */
    public LearnedUpdater withNonFinitePolicy(NonFinitePolicy policy) {
        return new LearnedUpdater(
                        weightsId,
                        weightsPath,
                        weightsSha256,
                        policy,
                        zeroPolicy(),
                        stateTypeOrDefault(),
                        optimizer)
                .group(weightsGroup);
    }

    /**
     * A copy with another policy for exactly-zero gradients: {@link ZeroGradientPolicy#FREEZE} (the
     * default) leaves such a parameter and its optimizer state unchanged, {@link
     * ZeroGradientPolicy#UPDATE} steps it like any other (the behaviour before the option).
     */
    public LearnedUpdater withZeroGradientPolicy(ZeroGradientPolicy policy) {
        return new LearnedUpdater(
                        weightsId,
                        weightsPath,
                        weightsSha256,
                        nonFinitePolicy,
                        policy,
                        stateTypeOrDefault(),
                        optimizer)
                .group(weightsGroup);
    }

    /**
     * A copy that keeps the LSTM state in another {@link StateType}: {@link StateType#FLOAT32} (the
     * default; {@code 2 x hidden x layers} floats per parameter) or {@link StateType#BFLOAT16} /
     * {@link StateType#FLOAT16}, which halve it ({@link #stateSize} is {@code numParams x hidden x
     * layers}: DL4J's state view holds the packed 16-bit pairs, see {@link StateType}). The step
     * still computes in float32. A network saved with one state type restores with it (the type is
     * in the JSON); its saved state cannot be read with another.
     */
    public LearnedUpdater withStateType(StateType type) {
        return new LearnedUpdater(
                        weightsId,
                        weightsPath,
                        weightsSha256,
                        nonFinitePolicy,
                        zeroPolicy(),
                        Objects.requireNonNull(type, "state type"),
                        optimizer)
                .group(weightsGroup);
    }

    /** How the LSTM state is stored. */
    public StateType stateType() {
        return stateTypeOrDefault();
    }

    /** The state type; FLOAT32 if JSON set it to null or lacked it. */
    private StateType stateTypeOrDefault() {
        return stateType == null ? StateType.FLOAT32 : stateType;
    }

    /** The pretrained id, or null if the weights are referenced by path. */
    public String weightsId() {
        return weightsId;
    }

    /** The weight file's absolute path, or null if the weights are referenced by id. */
    public String weightsPath() {
        return weightsPath;
    }

    /** The SHA-256 of the referenced weights. */
    public String weightsSha256() {
        return weightsSha256;
    }

    /** The policy for NaN/Inf gradients. */
    public NonFinitePolicy nonFinitePolicy() {
        return nonFinitePolicy;
    }

    /** The policy for exactly-zero gradients. */
    public ZeroGradientPolicy zeroGradientPolicy() {
        return zeroPolicy();
    }

    /**
     * The core optimizer these weights define, loading and checking them on first use.
     *
     * @throws IllegalStateException if the referenced weights cannot be found or their checksum
     *     differs; the message names the expected id or path and checksum
     */
    public LstmOptimizer optimizer() {
        LstmOptimizer o = optimizer;
        if (o == null) {
            o =
                    LstmOptimizer.of(resolveWeights())
                            .withNonFinitePolicy(nonFinitePolicy)
                            .withZeroGradientPolicy(zeroPolicy())
                            .withStateType(stateTypeOrDefault());
            optimizer = o;
        }
        return o;
    }

    /** The referenced weights (loaded and checked). */
    public LstmWeights weights() {
        return optimizer().weights();
    }

    private LstmWeights resolveWeights() {
        if (weightsId != null) {
            String actual;
            try {
                actual = PretrainedOptimizers.sha256(weightsId);
            } catch (RuntimeException e) {
                throw new IllegalStateException(
                        "Cannot restore LearnedUpdater: it expects pretrained optimizer '"
                                + weightsId
                                + "' with sha256 "
                                + weightsSha256
                                + ", which is not installed ("
                                + e.getMessage()
                                + "); "
                                + INFERENCE_HINT
                                + ", or install the l2o4j-pretrained version that ships it",
                        e);
            }
            if (!weightsSha256.equalsIgnoreCase(actual)) {
                throw new IllegalStateException(
                        "Cannot restore LearnedUpdater: it expects pretrained optimizer '"
                                + weightsId
                                + "' with sha256 "
                                + weightsSha256
                                + " but the installed '"
                                + weightsId
                                + "' has sha256 "
                                + actual
                                + " (a different l2o4j-pretrained version?)");
            }
            return loadPretrained(weightsId);
        }
        if (weightsPath != null) {
            Path p = Path.of(weightsPath);
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(
                        "Cannot restore LearnedUpdater: the learned updater's weight file "
                                + weightsPath
                                + " is gone (sha256 "
                                + weightsSha256
                                + "); "
                                + INFERENCE_HINT
                                + ", or put the file back at that path");
            }
            try {
                if (weightsGroup != null) {
                    Sha256.verify(weightsSha256, Sha256.of(p), weightsPath);
                    return GroupedWeightFiles.read(p).weights(weightsGroup);
                }
                return WeightFiles.read(p, weightsSha256);
            } catch (IOException e) {
                throw new IllegalStateException(
                        "Cannot restore LearnedUpdater from weight file "
                                + weightsPath
                                + " (expected sha256 "
                                + weightsSha256
                                + "): "
                                + e.getMessage(),
                        e);
            }
        }
        throw new IllegalStateException(
                "LearnedUpdater configuration references no weights (neither weightsId nor"
                        + " weightsPath is set): was the JSON edited by hand?");
    }

    /** An unknown id throws the registry's IllegalArgumentException (one message everywhere). */
    private static LstmWeights loadPretrained(String id) {
        try {
            return PretrainedOptimizers.load(id);
        } catch (UncheckedIOException e) {
            throw new IllegalStateException(
                    "Cannot load pretrained optimizer '" + id + "': " + e.getCause().getMessage(),
                    e);
        }
    }

    private static String pretrainedSha256(String id) {
        return PretrainedOptimizers.sha256(id).toLowerCase(Locale.ROOT);
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code numParams * 2 * hidden * layers}: the (h, c) of every LSTM layer per coordinate;
     * half that ({@code numParams * hidden * layers} float slots of two 16-bit values) with a
     * 16-bit {@link #withStateType state type}.
     */
    @Override
    public long stateSize(long numParams) {
        // The memory guard: DL4J allocates the network's state right after asking every array.
        Dl4jMemoryGuard.onStateSize(optimizer(), numParams);
        return Math.multiplyExact(numParams, (long) optimizer().stateSizePerCoordinate());
    }

    @Override
    public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
        Dl4jMemoryGuard.reset();
        LearnedGradientUpdater u = new LearnedGradientUpdater(this);
        if (viewArray == null) {
            throw new IllegalArgumentException(
                    "LearnedUpdater needs a state view array (stateSize > 0) but got null");
        }
        long per = optimizer().stateSizePerCoordinate();
        long len = viewArray.length();
        if (len % per != 0) {
            throw new IllegalArgumentException(
                    "LearnedUpdater state view array must hold "
                            + per
                            + " values per parameter but its length "
                            + len
                            + " is not a multiple of "
                            + per
                            + ": was the updater state saved with different optimizer weights?");
        }
        u.setStateViewArray(viewArray, new long[] {len / per}, 'c', initializeViewArray);
        return u;
    }

    @Override
    public GradientUpdater instantiate(
            Map<String, INDArray> updaterState, boolean initializeStateArrays) {
        LearnedGradientUpdater u = new LearnedGradientUpdater(this);
        u.setState(updaterState, initializeStateArrays);
        return u;
    }

    @Override
    public LearnedUpdater clone() {
        return new LearnedUpdater(
                        weightsId,
                        weightsPath,
                        weightsSha256,
                        nonFinitePolicy,
                        zeroPolicy(),
                        stateTypeOrDefault(),
                        optimizer)
                .group(weightsGroup);
    }

    /** The zero-gradient policy; FREEZE if JSON set it to null. */
    private ZeroGradientPolicy zeroPolicy() {
        return zeroGradientPolicy == null ? ZeroGradientPolicy.FREEZE : zeroGradientPolicy;
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code NaN}: the learned optimizer has no learning rate
     */
    @Override
    public double getLearningRate(int iteration, int epoch) {
        return Double.NaN;
    }

    /**
     * {@inheritDoc}
     *
     * @return false: the step size is learned
     */
    @Override
    public boolean hasLearningRate() {
        return false;
    }

    /**
     * Not supported, as for DL4J's {@code AdaDelta}: the learned optimizer has no learning rate.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void setLrAndSchedule(double lr, ISchedule lrSchedule) {
        throw new UnsupportedOperationException(
                "LearnedUpdater has no learning rate (its step size is learned): cannot set"
                        + " learning rate "
                        + lr
                        + (lrSchedule == null ? "" : " or schedule " + lrSchedule)
                        + "; use a different updater for this layer, or fine-tune the optimizer");
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LearnedUpdater)) {
            return false;
        }
        LearnedUpdater u = (LearnedUpdater) o;
        return Objects.equals(weightsId, u.weightsId)
                && Objects.equals(weightsPath, u.weightsPath)
                && Objects.equals(
                        weightsSha256 == null ? null : weightsSha256.toLowerCase(Locale.ROOT),
                        u.weightsSha256 == null ? null : u.weightsSha256.toLowerCase(Locale.ROOT))
                && nonFinitePolicy == u.nonFinitePolicy
                && zeroPolicy() == u.zeroPolicy()
                && stateTypeOrDefault() == u.stateTypeOrDefault()
                && Objects.equals(weightsGroup, u.weightsGroup);
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                weightsId,
                weightsPath,
                weightsSha256 == null ? null : weightsSha256.toLowerCase(Locale.ROOT),
                nonFinitePolicy,
                zeroPolicy(),
                stateTypeOrDefault(),
                weightsGroup);
    }

    @Override
    public String toString() {
        return "LearnedUpdater{"
                + (weightsId != null ? "id=" + weightsId : "path=" + weightsPath)
                + (weightsGroup != null ? ", group=" + weightsGroup : "")
                + ", sha256="
                + weightsSha256
                + ", nonFinitePolicy="
                + nonFinitePolicy
                + ", zeroGradientPolicy="
                + zeroPolicy()
                + ", stateType="
                + stateTypeOrDefault()
                + "}";
    }
}
