package org.l2o4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.l2o4j.cli.report.EvaluationReport;
import org.l2o4j.core.eval.Baselines;
import org.l2o4j.core.eval.EvaluationResult;
import org.l2o4j.core.eval.Evaluator;
import org.l2o4j.core.eval.LearningRateGrid;
import org.l2o4j.core.lstm.GroupedLstmOptimizer;
import org.l2o4j.core.lstm.GroupedWeights;
import org.l2o4j.core.lstm.LstmOptimizer;
import org.l2o4j.core.lstm.LstmWeights;
import org.l2o4j.core.lstm.StateType;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.l2o4j.core.meta.RunFiles;
import org.l2o4j.core.optim.UpdateRule;
import org.l2o4j.core.task.StyleTaskFamily;
import org.l2o4j.core.task.TaskFamilies;
import org.l2o4j.core.task.TaskFamily;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code l2o evaluate}: runs learned optimizers and tuned baselines on the same unseen tasks and
 * reports final losses with their spread; optionally writes {@code results.csv}, {@code curves.png}
 * and {@code report.md}.
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Runs a learned optimizer and tuned baselines on the same N unseen tasks (same initial"
                    + " points, same minibatches) and reports the final loss (mean, std, 95%% CI)"
                    + " and the number of diverged runs.",
            "Each baseline's learning rate is chosen by grid search on separate validation tasks."
        })
public final class EvaluateCommand implements Callable<Integer> {

    @Option(
            names = "--optimizer",
            paramLabel = "ID|FILE",
            description =
                    "A learned optimizer: a weight file or a pretrained id (repeatable; none: only"
                            + " baselines).")
    List<String> optimizers = new ArrayList<>();

    @Option(
            names = "--group-map",
            paramLabel = "TASKGROUP=FILEGROUP",
            split = ",",
            description =
                    "Per-group weight files: use the file's FILEGROUP weights for the task's group"
                            + " TASKGROUP (repeatable or comma-separated). Without it a task group"
                            + " takes the file's group of the same name; a shared file applies to"
                            + " every group.")
    Map<String, String> groupMap = new LinkedHashMap<>();

    @Option(
            names = "--zero-gradient",
            paramLabel = "freeze|update",
            defaultValue = "freeze",
            description =
                    "Learned optimizers: 'freeze' leaves a coordinate whose gradient is exactly 0"
                            + " unchanged (parameter and LSTM state), 'update' steps it like any"
                            + " other, as meta-training does [${DEFAULT-VALUE}].")
    String zeroGradient;

    @Option(
            names = "--state-type",
            paramLabel = "float32|bfloat16|float16",
            defaultValue = "float32",
            description =
                    "Learned optimizers: how the LSTM state is stored between steps: float32, or"
                            + " bfloat16 / float16 (half the memory; the step computes in float32"
                            + " and rounds the state to nearest even) [${DEFAULT-VALUE}].")
    String stateType;

    @Option(
            names = "--task",
            required = true,
            paramLabel = "TASK",
            description =
                    "Task family: a name or name[key=value;...] (e.g. quadratic, mnist-mlp,"
                            + " mnist-mlp[hidden=40], conv[channels=16], style[style=test]).")
    String task;

    @Mixin TaskVariantOptions data;

    @Option(
            names = "--split",
            defaultValue = "test",
            description =
                    "Data split of the evaluation tasks, where the family has one [${DEFAULT-VALUE}].")
    String split;

    @Option(
            names = "--seeds",
            defaultValue = "10",
            description = "Number of evaluation tasks [${DEFAULT-VALUE}].")
    int seeds;

    @Option(
            names = "--steps",
            defaultValue = "100",
            description = "Optimizer steps per run (horizon T) [${DEFAULT-VALUE}].")
    int steps;

    @Option(
            names = "--baselines",
            defaultValue = "sgd,nag,rmsprop,adam",
            description = "Comma-separated baselines, or 'none' [${DEFAULT-VALUE}].")
    String baselines;

    @Option(
            names = "--lr-grid",
            defaultValue = "1e-4,3e-4,1e-3,3e-3,0.01,0.03,0.1,0.3,1,3,10",
            description =
                    "Learning rates tried for each baseline: a list or min:max:points (log"
                            + " spaced) [${DEFAULT-VALUE}].")
    String lrGrid;

    @Option(
            names = "--tuning-seeds",
            defaultValue = "10",
            description =
                    "Validation tasks for the learning-rate search, disjoint from the evaluation"
                            + " tasks [${DEFAULT-VALUE}].")
    int tuningSeeds;

    @Option(
            names = "--seed-base",
            defaultValue = "" + Evaluator.EVALUATION_SEED_BASE,
            description = "First evaluation task seed [${DEFAULT-VALUE}].")
    long seedBase;

    @Option(
            names = "--threads",
            description = "Runs in parallel [number of processors]; results do not depend on it.")
    Integer threads;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Write results.csv, curves.png and report.md here.")
    Path out;

    @Option(
            names = "--style-grids",
            defaultValue = "3",
            paramLabel = "N",
            description =
                    "style tasks with --out: write a grid PNG (content, style, the image after"
                            + " 0/32/64/128 steps with its loss, per learned optimizer and tuned"
                            + " Adam) for the first N evaluation seeds [${DEFAULT-VALUE}].")
    int styleGrids;

    @Option(names = "--json", description = "Print a one-line JSON summary as the last line.")
    boolean json;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        if (seeds < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--seeds must be >= 1 but was " + seeds);
        }
        if (steps < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--steps must be >= 1 but was " + steps);
        }
        if (tuningSeeds < 1) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--tuning-seeds must be >= 1 but was " + tuningSeeds);
        }
        ZeroGradientPolicy zeroPolicy;
        try {
            zeroPolicy = ZeroGradientPolicy.parse(zeroGradient);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--zero-gradient: " + e.getMessage());
        }
        StateType type;
        try {
            type = StateType.parse(stateType);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--state-type: " + e.getMessage());
        }
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        TaskFamily family =
                TaskSpec.create(task, data.toOptions(), Map.of(TaskFamilies.SPLIT, split));
        List<String> baselineNames =
                baselines.trim().equalsIgnoreCase("none")
                        ? List.of()
                        : Baselines.parseList(baselines);
        HeapChecks.require(HeapChecks.grid(lrGrid));
        LearningRateGrid grid = LearningRateGrid.parse(lrGrid);
        Map<String, UpdateRule> learned = new LinkedHashMap<>();
        for (String o : optimizers) {
            GroupedWeights gw = LearnedOptimizerLoader.loadGrouped(o);
            String name = optimizers.size() == 1 ? "learned" : "learned:" + o;
            if (gw.isShared()) {
                LstmWeights w = gw.weights(0);
                learned.put(
                        name,
                        LstmOptimizer.of(w)
                                .withZeroGradientPolicy(zeroPolicy)
                                .withStateType(type)
                                .withThreads(nThreads > 1 ? 1 : cores()));
                continue;
            }
            // per-group weights: every task of the family has the layout of its first one
            GroupedLstmOptimizer g;
            try {
                g = GroupedLstmOptimizer.forTask(gw, family.sample(0), groupMap);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(), "--optimizer " + o + ": " + e.getMessage());
            }
            learned.put(
                    name,
                    g.withZeroGradientPolicy(zeroPolicy)
                            .withStateType(type)
                            .withThreads(nThreads > 1 ? 1 : cores()));
        }
        if (learned.isEmpty() && baselineNames.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "Nothing to evaluate: give --optimizer and/or --baselines");
        }
        HeapChecks.require(
                HeapChecks.evaluate(
                        seeds,
                        steps,
                        tuningSeeds,
                        grid.values().length,
                        learned.size(),
                        baselineNames.size()));
        if (out != null) {
            // before the evaluation, not after it
            RunFiles.checkWritableDirectory(out, "--out");
        }
        long[] evalSeeds = Evaluator.seeds(seedBase, seeds);
        long[] valSeeds = Evaluator.validationSeeds(tuningSeeds);
        Evaluator.requireDisjoint(evalSeeds, valSeeds);
        (json ? stderr : stdout)
                .printf(
                        "Evaluating %s on %s: %d tasks x %d steps, %d threads%n",
                        String.join(", ", concat(learned.keySet(), baselineNames)),
                        family.name(),
                        seeds,
                        steps,
                        nThreads);
        long t0 = System.nanoTime();
        EvaluationResult result =
                new Evaluator(steps, nThreads)
                        .compare(family, learned, baselineNames, grid, evalSeeds, valSeeds);
        double secs = (System.nanoTime() - t0) * 1e-9;
        PrintWriter human = json ? stderr : stdout;
        human.print(EvaluationReport.finalLossTable(result).render());
        human.printf("(%.1f s)%n", secs);
        if (out != null) {
            try {
                EvaluationReport.write(
                        out,
                        result,
                        TaskSpec.lossLabel(family.name()),
                        CommandLines.render(
                                "evaluate", spec.commandLine().getParseResult().originalArgs()));
            } catch (FileSystemException e) {
                throw new IOException(
                        "cannot write the report to --out "
                                + out
                                + (e.getFile() != null ? " (" + e.getFile() + ")" : "")
                                + ": "
                                + RunFiles.reason(e),
                        e);
            }
            if (family instanceof StyleTaskFamily style && styleGrids > 0) {
                List<Path> grids =
                        StyleGrids.write(out, style, result, learned, evalSeeds, styleGrids);
                human.println("Wrote " + grids.size() + " style grid(s)");
            }
            human.println("Wrote " + out.toAbsolutePath());
        }
        if (json) {
            stdout.println(result.toJson());
        }
        stdout.flush();
        stderr.flush();
        return 0;
    }

    private static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    private static List<String> concat(java.util.Collection<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    /** Runs the command alone (the {@code l2o} main registers it as a subcommand). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new EvaluateCommand()).execute(args));
    }
}
