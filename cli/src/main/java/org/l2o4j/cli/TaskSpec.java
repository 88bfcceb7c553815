package org.l2o4j.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;

/**
 * A task family written as {@code name} or {@code name[key=value;...]} plus options from command
 * line flags (flags override bracket options), resolved through {@link TaskFamilies}.
 */
final class TaskSpec {
    /**
     * A comma that separates options ({@code ,key=}), not one inside a list value such as {@code
     * activations=relu,tanh}.
     */
    private static final java.util.regex.Pattern OPTION_COMMA =
            java.util.regex.Pattern.compile(",(?=\\s*[A-Za-z][A-Za-z0-9_-]*\\s*=)");

    private TaskSpec() {}

    /** The family name of a spec (the part before {@code [}). */
    static String familyName(String spec) {
        TaskFamilies.checkBrackets(spec);
        int open = spec.indexOf('[');
        return (open < 0 ? spec : spec.substring(0, open)).trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Builds the family; {@code defaults} are applied only where the family accepts the key and
     * neither the spec nor {@code options} sets it.
     */
    static TaskFamily create(
            String spec, Map<String, String> options, Map<String, String> defaults) {
        String name = familyName(spec);
        Map<String, String> merged = new LinkedHashMap<>();
        for (Map.Entry<String, String> d : defaults.entrySet()) {
            if (TaskFamilies.options(name).contains(d.getKey())
                    && !spec.contains(d.getKey() + "=")) {
                merged.put(d.getKey(), d.getValue());
            }
        }
        merged.putAll(options);
        return TaskFamilies.parse(withOptions(spec, merged));
    }

    /** {@code spec} with {@code options} appended inside its brackets. */
    static String withOptions(String spec, Map<String, String> options) {
        if (options.isEmpty()) {
            return spec;
        }
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : options.entrySet()) {
            if (sb.length() > 0) {
                sb.append(';');
            }
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        String s = spec.trim();
        if (s.endsWith("]")) {
            String body = s.substring(s.indexOf('[') + 1, s.length() - 1).trim();
            return s.substring(0, s.indexOf('['))
                    + "["
                    + (body.isEmpty()
                            ? ""
                            : (familyName(s).equals("mixed") || body.contains(";")
                                            ? body
                                            : OPTION_COMMA.matcher(body).replaceAll(";"))
                                    + ";")
                    + sb
                    + "]";
        }
        return s + "[" + sb + "]";
    }

    /** The loss axis label, with its unit, for a family. */
    static String lossLabel(String familyName) {
        if (familyName.startsWith("mnist-mlp")
                || familyName.startsWith("conv")
                || familyName.startsWith("mlp-zoo")
                || familyName.startsWith("mixed")) {
            return "training loss (cross-entropy on the minibatch, nats)";
        }
        if (familyName.startsWith("style")) {
            return "style-transfer loss (content + style + smoothness, dimensionless)";
        }
        if (familyName.startsWith("quadratic")) {
            return "loss ||W theta - y||^2 (dimensionless)";
        }
        return "loss (task units)";
    }
}
