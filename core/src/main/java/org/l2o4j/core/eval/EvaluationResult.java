package org.l2o4j.core.eval;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * The result of evaluating several optimizers on the same tasks.
 *
 * @param task the task family's name
 * @param steps the horizon T
 * @param evaluationSeeds the task seeds every optimizer ran on
 * @param validationSeeds the seeds used to tune the baselines' learning rates (disjoint)
 * @param optimizers the results, learned optimizers first, then baselines in the requested order
 */
public record EvaluationResult(
        String task,
        int steps,
        long[] evaluationSeeds,
        long[] validationSeeds,
        List<OptimizerResult> optimizers) {

    /** Validates and copies. */
    public EvaluationResult {
        Objects.requireNonNull(task, "task");
        evaluationSeeds = evaluationSeeds.clone();
        validationSeeds = validationSeeds.clone();
        optimizers = List.copyOf(optimizers);
    }

    /** The result for {@code name}. */
    public OptimizerResult get(String name) {
        for (OptimizerResult o : optimizers) {
            if (o.name().equals(name)) {
                return o;
            }
        }
        throw new IllegalArgumentException(
                "No optimizer '"
                        + name
                        + "' in this result; it has "
                        + optimizers.stream().map(OptimizerResult::name).toList());
    }

    /**
     * The one-line JSON summary: {@code {"task":..,"steps":T,"seeds":N,"results":[{"name":..,
     * "lr":..,"final_loss_mean":..,"final_loss_std":..,"final_loss_ci95":..,"diverged":k},..]}}.
     * {@code lr} is omitted for optimizers without a learning rate; a statistic that does not exist
     * (e.g. the std of one value, or the mean when all runs diverged) is {@code null}.
     */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("task", task);
        o.addProperty("steps", steps);
        o.addProperty("seeds", evaluationSeeds.length);
        JsonArray results = new JsonArray();
        for (OptimizerResult r : optimizers) {
            JsonObject j = new JsonObject();
            j.addProperty("name", r.name());
            if (!Double.isNaN(r.learningRate())) {
                j.addProperty("lr", r.learningRate());
            }
            Statistics.Summary s = r.finalLoss();
            addNumber(j, "final_loss_mean", s.mean());
            addNumber(j, "final_loss_std", s.std());
            addNumber(j, "final_loss_ci95", s.ci95HalfWidth());
            j.addProperty("diverged", r.divergedCount());
            results.add(j);
        }
        o.add("results", results);
        return o.toString();
    }

    private static void addNumber(JsonObject j, String key, double v) {
        if (Double.isFinite(v)) {
            j.addProperty(key, v);
        } else {
            j.add(key, com.google.gson.JsonNull.INSTANCE);
        }
    }
}
