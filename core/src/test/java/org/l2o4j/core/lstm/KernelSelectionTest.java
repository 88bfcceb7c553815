package org.l2o4j.core.lstm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The selection of all four kernels (LSTM step, float meta-training, convolution, MLP cell) in
 * child JVMs started with and without the Vector API module, and without C2: the surefire JVM
 * always has the module, so this is where core's tests run without it.
 */
class KernelSelectionTest {
    private static final String MODULE = "jdk.incubator.vector";

    /** Prints the kernel each of the three factories creates in this JVM. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            LstmConfig c = LstmConfig.paperDefaults();
            LstmWeights w = new LstmWeights(c, new float[c.numParameters()]);
            System.out.println(
                    "lstm=" + KernelSelection.create(Kernel.selected(), w).description());
            Method create =
                    Class.forName("org.l2o4j.core.meta.FloatBptt")
                            .getDeclaredMethod("create", LstmConfig.class);
            create.setAccessible(true);
            Object train = create.invoke(null, c);
            Method id = train.getClass().getSuperclass().getDeclaredMethod("id");
            id.setAccessible(true);
            System.out.println("train=" + id.invoke(train));
            Field selected =
                    Class.forName("org.l2o4j.core.task.ConvKernel").getDeclaredField("SELECTED");
            selected.setAccessible(true);
            Object conv = selected.get(null);
            Method describe = conv.getClass().getDeclaredMethod("describe");
            describe.setAccessible(true);
            System.out.println("conv=" + describe.invoke(conv));
            LstmConfig mlp = LstmConfig.builder().cell(CellType.MLP).hidden(8).build();
            LstmWeights mw = new LstmWeights(mlp, new float[mlp.numParameters()]);
            System.out.println(
                    "mlp=" + KernelSelection.create(Kernel.selected(), mw).description());
        }
    }

    private record Run(String out, String log) {
        /** The one log line of the selection. */
        String line() {
            List<String> lines =
                    log.lines().filter(l -> l.contains("l2o4j: the LSTM, meta-training")).toList();
            assertEquals(1, lines.size(), log);
            return lines.get(0);
        }
    }

    private static Run run(String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        Run r =
                new Run(
                        new String(out, StandardCharsets.UTF_8),
                        new String(err, StandardCharsets.UTF_8));
        assertEquals(0, p.exitValue(), r.out + r.log);
        return r;
    }

    private static void assertScalar(Run r) {
        assertTrue(r.out.contains("lstm=scalar\n"), r.out);
        assertTrue(r.out.contains("train=float-scalar\n"), r.out);
        assertTrue(r.out.contains("conv=scalar\n"), r.out);
        assertTrue(r.out.contains("mlp=mlp-scalar\n"), r.out);
    }

    /** The child JVMs run this JVM's java: HotSpot if this one has HotSpot's MXBean. */
    private static void assumeHotSpot() {
        boolean hotSpot;
        try {
            hotSpot =
                    ManagementFactory.getPlatformMXBean(
                                    com.sun.management.HotSpotDiagnosticMXBean.class)
                            != null;
        } catch (RuntimeException | LinkageError e) {
            hotSpot = false;
        }
        assumeTrue(hotSpot, "not a HotSpot JVM");
    }

    @Test
    void withoutTheModuleAllThreeArePlainJava() throws Exception {
        Run r = run();
        assertScalar(r);
        assertTrue(r.line().contains("plain Java; start the JVM with '--add-modules " + MODULE));
    }

    @Test
    void withTheModuleAndC2AllThreeUseTheVectorApi() throws Exception {
        assumeHotSpot();
        Run r = run("--add-modules", MODULE);
        assertTrue(r.out.contains("lstm=vector ("), r.out);
        assertTrue(r.out.contains("train=float-vector\n"), r.out);
        assertTrue(r.out.contains("conv=vector"), r.out);
        assertTrue(r.out.contains("mlp=mlp-vector ("), r.out);
        assertTrue(r.line().contains("use the Vector API ("), r.log);
    }

    @Test
    void withoutC2TheModuleIsNotUsed() throws Exception {
        assumeHotSpot();
        Run r = run("--add-modules", MODULE, "-XX:TieredStopAtLevel=1");
        assertScalar(r);
        assertTrue(r.line().contains("the C2 compiler is disabled"), r.log);
    }

    @Test
    void thePropertyForcesEither() throws Exception {
        Run scalar = run("--add-modules", MODULE, "-D" + Kernel.PROPERTY + "=scalar");
        assertScalar(scalar);
        assertTrue(scalar.line().contains("forced by -D" + Kernel.PROPERTY + "=scalar"));
        assumeHotSpot();
        Run vector =
                run(
                        "--add-modules",
                        MODULE,
                        "-XX:TieredStopAtLevel=1",
                        "-D" + Kernel.PROPERTY + "=vector");
        assertTrue(vector.out.contains("lstm=vector ("), vector.out);
        assertTrue(vector.out.contains("mlp=mlp-vector ("), vector.out);
        assertTrue(vector.line().contains("forced by -D" + Kernel.PROPERTY), vector.log);
    }
}
