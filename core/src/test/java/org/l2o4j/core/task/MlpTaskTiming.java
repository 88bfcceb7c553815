package org.l2o4j.core.task;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
        measure(task, theta, grad, true, Math.min(1.0, seconds / 2)); // warm-up
        measure(task, theta, grad, false, Math.min(1.0, seconds / 2));
        double[] lg = measure(task, theta, grad, true, seconds);
        double[] l = measure(task, theta, grad, false, seconds);
        System.out.printf(
                Locale.ROOT,
                "%s: dimension %d, Java %s, %d cpus, load average %.1f%n"
                        + "  lossAndGradient %.1f us/call CPU time (%.1f wall)%n"
                        + "  loss            %.1f us/call CPU time (%.1f wall)%n",
                task.name(),
                task.dimension(),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                lg[0] * 1e6,
                lg[1] * 1e6,
                l[0] * 1e6,
                l[1] * 1e6);
    }

    /** Returns {CPU seconds per call, wall seconds per call}. */
    private static double[] measure(
            Task task, double[] theta, double[] grad, boolean withGrad, double seconds) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long t = 0;
        long cpuStart = mx.getCurrentThreadCpuTime();
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
        long cpu = mx.getCurrentThreadCpuTime() - cpuStart;
        return new double[] {cpu / 1e9 / t, (now - start) / 1e9 / t};
    }
}
