import java.util.Random;
import org.l2o4j.core.lstm.*;
import org.l2o4j.core.optim.OptimizerState;
import org.l2o4j.pretrained.PretrainedOptimizers;

/**
 * The zero-gradient goal of general-v2 and the state size: runs a learned optimizer (weight file or
 * pretrained id) for 1,000 steps on 64 coordinates of which coordinate 7 has an exactly-zero
 * gradient from step 0 (the others random, |g| from 1e-4 to 1e-1), under both zero-gradient
 * policies, and prints how far coordinate 7 moved and the state bytes per parameter.
 *
 * <p>Run from the repository root after building the CLI:
 * {@code java --add-modules jdk.incubator.vector -cp "cli/target/lib/*"
 * docs/results/general-v2-candidate/ZeroGrad.java FILE_OR_ID}
 */
public class ZeroGrad {
    public static void main(String[] a) throws Exception {
        LstmWeights w = PretrainedOptimizers.resolve(a[0]);
        for (ZeroGradientPolicy p : ZeroGradientPolicy.values()) {
            LstmOptimizer opt = LstmOptimizer.of(w).withThreads(1).withZeroGradientPolicy(p);
            if (p == ZeroGradientPolicy.FREEZE) {
                int k = opt.stateSizePerCoordinate();
                System.out.printf(
                        "%s: %s, %d float32 state values (%d bytes) per parameter%n",
                        a[0], w.config(), k, 4 * k);
            }
            int n = 64;
            OptimizerState s = opt.newState(n);
            float[] theta = new float[n], g = new float[n], u = new float[n];
            Random r = new Random(2);
            double moved = 0;
            for (int t = 0; t < 1000; t++) {
                for (int i = 0; i < n; i++) {
                    g[i] = i == 7 ? 0f : (float) (r.nextGaussian() * Math.pow(10, -4 + 3 * r.nextDouble()));
                }
                opt.step(s, g, u);
                for (int i = 0; i < n; i++) theta[i] += u[i];
                moved += Math.abs(u[7]);
            }
            System.out.printf("%s policy=%s: zero-gradient coordinate |theta_1000 - theta_0| = %.3g, sum |u| = %.3g (other coordinate 3 moved %.3g)%n",
                a[0], p, Math.abs(theta[7]), moved, Math.abs(theta[3]));
        }
    }
}
