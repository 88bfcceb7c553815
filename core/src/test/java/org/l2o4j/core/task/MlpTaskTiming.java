package org.l2o4j.core.task;

import java.util.Locale;

/**
 * Times {@link MlpTask#lossAndGradient} and {@link MlpTask#loss} of an MLP variant (a quick
 * measurement; the JMH benchmarks are the reference).
 *
 * <pre>
 * ./mvnw -q -pl core test-compile
 * java -cp core/target/classes:core/target/test-classes org.l2o4j.core.task.MlpTaskTiming \
 *     [task-spec] [seconds]
 * </pre>
 *
 * Default spec {@code mnist-mlp[data-dir=bundled]} (the paper's MLP at batch 128).
 */
public final class MlpTaskTiming {

    private MlpTaskTiming() {}

    public static void main(String[] args) {
        String spec = args.length > 0 ? args[0] : "mnist-mlp[data-dir=bundled]";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        Task task = TaskFamilies.parse(spec).sample(1);
        double[] theta = task.initialParameters();
        double[] grad = new double[task.dimension()];
        // warm-up (JIT), then measure
        measure(task, theta, grad, true, Math.min(1.0, seconds / 2));
        measure(task, theta, grad, false, Math.min(1.0, seconds / 2));
        double lg = measure(task, theta, grad, true, seconds);
        double l = measure(task, theta, grad, false, seconds);
        System.out.printf(
                Locale.ROOT,
                "%s: dimension %d, Java %s: lossAndGradient %.1f us/call, loss %.1f us/call%n",
                task.name(),
                task.dimension(),
                System.getProperty("java.version"),
                lg * 1e6,
                l * 1e6);
    }

    private static double measure(
            Task task, double[] theta, double[] grad, boolean withGrad, double seconds) {
        long t = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        double sink = 0;
        long now;
        do {
            for (int k = 0; k < 20; k++, t++) {
                sink += withGrad ? task.lossAndGradient(theta, t, grad) : task.loss(theta, t);
            }
            now = System.nanoTime();
        } while (now < end);
        if (sink == 42.0) {
            System.out.println(sink);
        }
        return (now - start) / 1e9 / t;
    }
}
