package org.l2o4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.l2o4j.core.meta.MetaTrainer;
import org.l2o4j.core.meta.MetaTrainingConfig;
import org.l2o4j.core.meta.TruncationContext;

/**
 * Separate executor JVMs on loopback: Spark's {@code local-cluster[2,1,1024]} (a master and two
 * workers in this JVM, each worker launching one executor JVM) from Maven artifacts alone. The
 * weights are the single-JVM trainer's bit for bit, also when an executor JVM is killed (by its
 * pid) in the middle of a truncation and Spark reruns its work elsewhere.
 *
 * <p>The workers find no Spark installation: surefire gives this JVM {@code SPARK_TESTING=1} and
 * {@code SPARK_SCALA_VERSION=2.13} (the launcher's class path builder then needs no {@code jars/}
 * directory), {@code spark.test.home} is an empty directory, and the executors get this JVM's test
 * class path as {@code spark.executor.extraClassPath} and the vector module the driver has (without
 * it they would pick another kernel and the weights would differ).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkClusterTest {
    @TempDir static Path dir;

    private static JavaSparkContext jsc;

    @BeforeAll
    static void startCluster() throws Exception {
        Path home = Files.createDirectories(dir.resolve("spark-home"));
        System.setProperty("spark.test.home", home.toString());
        SparkConf conf =
                SparkExecutorProvider.conf("local-cluster[2,1,1024]")
                        .set("spark.executor.extraClassPath", testClassPath())
                        .set(
                                "spark.executor.extraJavaOptions",
                                "--add-modules=jdk.incubator.vector");
        jsc = new JavaSparkContext(conf);
        jsc.setLogLevel("ERROR");
        // both executors registered (the driver counts as one more block manager)
        for (int i = 0; i < 1200 && jsc.sc().getExecutorMemoryStatus().size() < 3; i++) {
            Thread.sleep(50);
        }
        assertEquals(3, jsc.sc().getExecutorMemoryStatus().size(), "two executors registered");
    }

    @AfterAll
    static void stopCluster() {
        if (jsc != null) {
            jsc.stop();
        }
    }

    /** The class path surefire gives the tests (java.class.path may be a manifest-only jar). */
    static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return cp;
    }

    /** The executor JVMs: this JVM's descendants running Spark's executor backend. */
    static List<ProcessHandle> executorJvms() {
        return ProcessHandle.current()
                .descendants()
                .filter(
                        h ->
                                commandLine(h)
                                        .contains(
                                                "org.apache.spark.executor"
                                                        + ".CoarseGrainedExecutorBackend"))
                .collect(Collectors.toList());
    }

    /**
     * A process's whole command line: from {@code /proc} where there is one (ProcessHandle.Info
     * cuts it at 4,096 characters there, before the class name after the long class path).
     */
    static String commandLine(ProcessHandle h) {
        Path proc = Path.of("/proc", Long.toString(h.pid()), "cmdline");
        try {
            if (Files.isReadable(proc)) {
                return Files.readString(proc, StandardCharsets.UTF_8).replace('\0', ' ');
            }
        } catch (IOException e) {
            // gone meanwhile, or not readable: fall back
        }
        return h.info().commandLine().orElse("");
    }

    @Test
    @Order(1)
    void twoExecutorJvmsGiveTheSingleJvmWeightsForQuadraticAndMnistMlp() throws IOException {
        List<ProcessHandle> jvms = executorJvms();
        assertEquals(2, jvms.size(), "two executor JVMs, children of this one");
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        try (SparkTruncationExecutor ex =
                new SparkTruncationExecutor(
                        jsc, false, TruncationContext.of(c), SparkMetaTrainingTest.QUADRATIC, 4)) {
            assertArrayEquals(single, new MetaTrainer(c).executor(ex).train().parameters());
            assertEquals(2, ex.executorsSeen().size(), ex.executorsSeen().toString());
            assertFalse(ex.executorsSeen().contains("driver"), ex.executorsSeen().toString());
        }
        MetaTrainingConfig m = SparkMetaTrainingTest.mlp();
        float[] singleMlp = new MetaTrainer(m).train().parameters();
        try (SparkTruncationExecutor ex =
                new SparkTruncationExecutor(
                        jsc, false, TruncationContext.of(m), SparkMetaTrainingTest.MLP, 2)) {
            assertArrayEquals(singleMlp, new MetaTrainer(m).executor(ex).train().parameters());
        }
    }

    @Test
    @Order(2)
    void anExecutorJvmKilledMidTruncationChangesNothing() throws Exception {
        MetaTrainingConfig c = SparkMetaTrainingTest.quadratic();
        float[] single = new MetaTrainer(c).train().parameters();
        List<Long> before =
                executorJvms().stream().map(ProcessHandle::pid).collect(Collectors.toList());
        Path pidFile = dir.resolve("stalled.pid");
        AtomicLong killed = new AtomicLong(-1);
        // the first attempt of task 2 in truncation 1 of iteration 1 writes its executor's pid and
        // waits; this thread kills that JVM by its pid, mid-truncation
        Thread killer =
                new Thread(
                        () -> {
                            try {
                                while (!Files.exists(pidFile)) {
                                    Thread.sleep(20);
                                }
                                long pid = Long.parseLong(Files.readString(pidFile).trim());
                                Optional<ProcessHandle> h = ProcessHandle.of(pid);
                                if (h.isPresent() && h.get().destroyForcibly()) {
                                    h.get().onExit().join();
                                    killed.set(pid);
                                }
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        },
                        "executor-killer");
        killer.setDaemon(true);
        killer.start();
        float[] weights;
        try (SparkTruncationExecutor ex =
                new SparkTruncationExecutor(
                        jsc, false, TruncationContext.of(c), SparkMetaTrainingTest.QUADRATIC, 4)) {
            ex.stallFirstAttempt(1, 1, 2, pidFile.toString());
            weights = new MetaTrainer(c).executor(ex).train().parameters();
        } finally {
            killer.interrupt();
            killer.join(10_000);
        }
        assertTrue(killed.get() > 0, "the stalled executor JVM was killed");
        assertTrue(
                before.contains(killed.get()),
                "killed " + killed.get() + ", one of the executor JVMs " + before);
        assertFalse(ProcessHandle.of(killed.get()).map(ProcessHandle::isAlive).orElse(false));
        assertArrayEquals(single, weights);
    }
}
