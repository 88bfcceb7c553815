package org.l2o4j.djl;

import org.l2o4j.core.optim.NonFiniteGradientException;
import org.l2o4j.core.optim.NonFinitePolicy;

/**
 * A DJL training step met a NaN or infinite gradient under {@link NonFinitePolicy#ERROR}. The
 * message names the parameter (its path in the block when known, see {@link
 * LearnedOptimizer#nameParameters}, else its own name and shape), the coordinate (the flat index
 * within the parameter) and the value, and says whether the step was applied: normally not at all
 * (no parameter or optimizer state changed, and the gradients of the step were cleared, so the
 * trainer can go on with the next batch).
 */
public class NonFiniteStepException extends NonFiniteGradientException {
    private static final long serialVersionUID = 1L;

    private final String parameter;
    private final String message;

    /**
     * @param parameter the parameter, as the message names it
     * @param index the coordinate within the parameter
     * @param value the offending value
     * @param consequence what happened to the step, e.g. "the step was not applied (...)"
     */
    NonFiniteStepException(String parameter, int index, float value, String consequence) {
        super(index, value, parameter);
        this.parameter = parameter;
        this.message =
                "non-finite gradient in parameter "
                        + parameter
                        + " at coordinate "
                        + index
                        + ": "
                        + value
                        + "; "
                        + consequence;
    }

    /** The parameter as the message names it, e.g. {@code '01Linear_weight'}. */
    public String parameter() {
        return parameter;
    }

    /** {@inheritDoc} */
    @Override
    public String getMessage() {
        return message;
    }
}
