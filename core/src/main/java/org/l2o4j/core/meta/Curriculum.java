package org.l2o4j.core.meta;

import java.util.ArrayList;
import java.util.List;

/**
 * A curriculum over the meta-training horizon and unroll (Chen et al. 2020, "Training stronger
 * baselines for learning to optimize"): meta-training starts on short runs and moves to longer ones
 * in stages, each stage a {@code (horizon, unroll)} pair.
 *
 * <p>Written {@code HORIZON:UNROLL,HORIZON:UNROLL,...}, e.g. {@code 50:10,100:20,200:20}. When to
 * move on is either
 *
 * <ul>
 *   <li>by patience ({@link #patience()} {@code N >= 1}, the default): the next stage begins after
 *       {@code N} validations in a row without a new best validation meta-loss in the current
 *       stage; or
 *   <li>by schedule: every stage but the first gives its first meta-iteration, {@code
 *       HORIZON:UNROLL@ITERATION} (0-based, counted from the start of the run, increasing), e.g.
 *       {@code 50:10,100:20@200,200:20@400}. Iterations, not fractions of {@code --iterations}, so
 *       that raising {@code --iterations} to continue a run does not move the stages.
 * </ul>
 *
 * A stage change happens between meta-iterations; the current weights (and the outer optimizer's
 * state) carry on, the training tasks and truncations use the new horizon and unroll, and
 * validation uses the new horizon. Best-weight selection compares like with like: at a stage change
 * the current weights are validated at the new horizon and become the stage's first best (with a
 * schedule that validation replaces the regular one of that iteration), so the weights a run
 * returns are the best of the last stage it reached, measured at that stage's horizon.
 *
 * <p>A change that falls due at the last meta-iteration of a run still happens (its validation
 * included), so a run stopped there and continued with more iterations ({@code --resume}) is the
 * same as one run without a stop. A stage scheduled after the run's last iteration is not reached
 * (unless the run is continued).
 */
public final class Curriculum {

    /**
     * One stage.
     *
     * @param horizon optimizee steps per run
     * @param unroll steps per truncation, 1..horizon
     * @param start the stage's first meta-iteration (0-based) under a schedule; 0 for the first
     *     stage, -1 under patience
     */
    public record Stage(int horizon, int unroll, int start) {
        /** {@code H:U}, or {@code H:U@START} for a scheduled stage after the first. */
        @Override
        public String toString() {
            return horizon + ":" + unroll + (start > 0 ? "@" + start : "");
        }
    }

    /** The default patience: validations without improvement before the next stage. */
    public static final int DEFAULT_PATIENCE = 2;

    private final List<Stage> stages;
    private final int patience;

    private Curriculum(List<Stage> stages, int patience) {
        this.stages = List.copyOf(stages);
        this.patience = patience;
    }

    /**
     * Parses a curriculum.
     *
     * @param spec {@code H:U,H:U,...} (patience) or {@code H:U,H:U@IT,...} (schedule)
     * @param patience validations without improvement before the next stage (patience mode), or
     *     null for the default {@value #DEFAULT_PATIENCE}; must be null under a schedule
     * @throws IllegalArgumentException naming the stage, what was expected and what was found
     */
    public static Curriculum parse(String spec, Integer patience) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException(
                    "a curriculum needs stages HORIZON:UNROLL,..., e.g. 50:10,100:20,200:20, but"
                            + " was empty");
        }
        List<Stage> stages = new ArrayList<>();
        String[] parts = spec.split(",", -1);
        int scheduled = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            int at = p.indexOf('@');
            String hu = at < 0 ? p : p.substring(0, at);
            int colon = hu.indexOf(':');
            if (colon < 0) {
                throw bad(spec, p, "HORIZON:UNROLL or HORIZON:UNROLL@ITERATION");
            }
            int h = positive(spec, p, "horizon", hu.substring(0, colon));
            int u = positive(spec, p, "unroll", hu.substring(colon + 1));
            if (u > h) {
                throw new IllegalArgumentException(
                        "curriculum stage '"
                                + p
                                + "' in '"
                                + spec
                                + "': unroll must be in 1..horizon ("
                                + h
                                + ") but was "
                                + u);
            }
            int start = -1;
            if (at >= 0) {
                String s = p.substring(at + 1).trim();
                try {
                    start = Integer.parseInt(s);
                } catch (NumberFormatException e) {
                    throw bad(
                            spec,
                            p,
                            "a meta-iteration (an integer >= 0) after '@', not '" + s + "'");
                }
                if (start < 0 || (i == 0 && start != 0)) {
                    throw bad(
                            spec,
                            p,
                            i == 0
                                    ? "the first stage to start at iteration 0 (or no '@')"
                                    : "a meta-iteration >= 0 after '@', not " + start);
                }
                if (i > 0) {
                    scheduled++;
                    int prev = stages.get(i - 1).start;
                    if (start <= Math.max(prev, 0)) {
                        throw bad(
                                spec,
                                p,
                                "start iterations increasing from stage to stage (the previous"
                                        + " stage starts at "
                                        + Math.max(prev, 0)
                                        + ")");
                    }
                }
            }
            stages.add(new Stage(h, u, start));
        }
        if (scheduled != 0 && scheduled != parts.length - 1) {
            throw new IllegalArgumentException(
                    "curriculum '"
                            + spec
                            + "': give every stage after the first a start iteration"
                            + " (HORIZON:UNROLL@ITERATION, a schedule) or none (move on by"
                            + " patience), not some");
        }
        if (scheduled > 0) {
            if (patience != null) {
                throw new IllegalArgumentException(
                        "curriculum '"
                                + spec
                                + "' is a schedule (@ITERATION); a patience ("
                                + patience
                                + ") applies only to stages without '@'");
            }
            List<Stage> fixed = new ArrayList<>();
            for (int i = 0; i < stages.size(); i++) {
                Stage s = stages.get(i);
                fixed.add(new Stage(s.horizon, s.unroll, i == 0 ? 0 : s.start));
            }
            return new Curriculum(fixed, 0);
        }
        int n = patience == null ? DEFAULT_PATIENCE : patience;
        if (n < 1) {
            throw new IllegalArgumentException(
                    "curriculum patience must be >= 1 validation but was " + n);
        }
        List<Stage> plain = new ArrayList<>();
        for (Stage s : stages) {
            plain.add(new Stage(s.horizon, s.unroll, -1));
        }
        return new Curriculum(plain, n);
    }

    /** The stages, in order. */
    public List<Stage> stages() {
        return stages;
    }

    /** Stage {@code s} (0-based). */
    public Stage stage(int s) {
        return stages.get(s);
    }

    /** Number of stages. */
    public int size() {
        return stages.size();
    }

    /** The last stage. */
    public Stage last() {
        return stages.get(stages.size() - 1);
    }

    /** Whether stages start at given iterations (else by {@link #patience()}). */
    public boolean scheduled() {
        return patience == 0;
    }

    /** Validations without a new best before the next stage; 0 under a schedule. */
    public int patience() {
        return patience;
    }

    /** The longest horizon of any stage. */
    public int maxHorizon() {
        int m = 0;
        for (Stage s : stages) {
            m = Math.max(m, s.horizon);
        }
        return m;
    }

    /** The canonical spec, e.g. {@code 50:10,100:20,200:20} or {@code 50:10,100:20@40}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Stage s : stages) {
            parts.add(s.toString());
        }
        return String.join(",", parts);
    }

    private static int positive(String spec, String stage, String what, String v) {
        try {
            int x = Integer.parseInt(v.trim());
            if (x >= 1) {
                return x;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(spec, stage, "the " + what + " to be an integer >= 1, not '" + v.trim() + "'");
    }

    private static IllegalArgumentException bad(String spec, String stage, String expected) {
        return new IllegalArgumentException(
                "curriculum stage '" + stage + "' in '" + spec + "': expected " + expected);
    }
}
