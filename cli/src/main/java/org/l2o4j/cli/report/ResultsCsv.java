package org.l2o4j.cli.report;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.l2o4j.core.eval.EvaluationResult;
import org.l2o4j.core.eval.OptimizerResult;
import org.l2o4j.core.eval.RunResult;

/**
 * Writes every recorded loss as CSV: {@code optimizer,seed,step,loss}. A diverged run's rows stop
 * at the step where it diverged; that row holds the offending value ({@code NaN}, {@code Infinity}
 * or the huge loss).
 */
public final class ResultsCsv {
    /** The header line. */
    public static final String HEADER = "optimizer,seed,step,loss";

    private ResultsCsv() {}

    /** Writes {@code result} to {@code file}. */
    public static void write(Path file, EvaluationResult result) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            w.write(HEADER);
            w.newLine();
            for (OptimizerResult o : result.optimizers()) {
                for (RunResult r : o.runs()) {
                    int last = r.diverged() ? r.divergedAtStep() : r.steps();
                    for (int t = 0; t <= last; t++) {
                        w.write(o.name());
                        w.write(',');
                        w.write(Long.toString(r.seed()));
                        w.write(',');
                        w.write(Integer.toString(t));
                        w.write(',');
                        w.write(Double.toString(r.losses()[t]));
                        w.newLine();
                    }
                }
            }
        }
    }
}
