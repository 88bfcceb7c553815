package org.l2o4j.core.optim;

/** Thrown when a gradient is NaN or infinite under {@link NonFinitePolicy#ERROR}. */
public class NonFiniteGradientException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    private final int index;
    private final float value;

    /**
     * @param index the coordinate index (0-based, within the step's gradient vector)
     * @param value the offending value
     * @param where an optional description of the parameter (layer, name), or null
     */
    public NonFiniteGradientException(int index, float value, String where) {
        super(
                "Gradient must be finite but coordinate "
                        + index
                        + (where == null ? "" : " of " + where)
                        + " is "
                        + value
                        + " (use NonFinitePolicy.SKIP to skip such coordinates instead)");
        this.index = index;
        this.value = value;
    }

    /** The first non-finite coordinate's index. */
    public int index() {
        return index;
    }

    /** Its value (NaN or +-Infinity). */
    public float value() {
        return value;
    }
}
