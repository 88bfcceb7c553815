package org.l2o4j.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.l2o4j.core.lstm.ZeroGradientPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link LearnedUpdater}'s zero-gradient policy in a real network: the first-layer weights of an
 * input feature that is always 0 get exactly-zero gradients.
 */
class LearnedUpdaterZeroGradientTest {

    /** The MLP's data with feature 0 always 0. */
    private static DataSet dataWithADeadInput() {
        DataSet ds = TestNets.data(1, 128);
        ds.getFeatures().getColumn(0).assign(0);
        return ds;
    }

    /** Weights of the first layer from input 0 (row 0 of DL4J's nIn x nOut W). */
    private static INDArray deadRow(MultiLayerNetwork net) {
        return net.getLayer(0).getParam("W").get(NDArrayIndex.point(0), NDArrayIndex.all()).dup();
    }

    private static MultiLayerNetwork trained(LearnedUpdater u, DataSet ds, int steps) {
        MultiLayerNetwork net = new MultiLayerNetwork(TestNets.mlp(u));
        net.init();
        for (int i = 0; i < steps; i++) {
            net.fit(ds);
        }
        return net;
    }

    @Test
    void aParameterWithAZeroGradientStaysUnchangedWhileOthersTrain() {
        LearnedUpdater u = LearnedUpdater.pretrained();
        assertEquals(ZeroGradientPolicy.FREEZE, u.zeroGradientPolicy());
        DataSet ds = dataWithADeadInput();
        MultiLayerNetwork fresh = new MultiLayerNetwork(TestNets.mlp(u));
        fresh.init();
        INDArray rowBefore = deadRow(fresh);
        INDArray paramsBefore = fresh.params().dup();
        double lossBefore = fresh.score(ds);

        MultiLayerNetwork net = trained(u, ds, 30);
        assertEquals(rowBefore, deadRow(net), "weights from the always-0 input moved");
        assertNotEquals(paramsBefore, net.params(), "the other parameters train");
        double lossAfter = net.score(ds);
        assertTrue(lossAfter < lossBefore, "loss " + lossBefore + " -> " + lossAfter);

        // the frozen weights' LSTM state is still the fresh (all-zero) one; one updater block
        // holds all parameters, W of layer 0 first, in 'f' order: W[0, j] is parameter j * IN
        INDArray params = net.params();
        long n = params.length();
        float[] state = net.getUpdater().getStateViewArray().toFloatVector();
        int per = u.optimizer().stateSizePerCoordinate();
        assertEquals(n * per, state.length);
        INDArray row = deadRow(net);
        for (int j = 0; j < row.length(); j++) {
            long i = (long) j * TestNets.IN;
            assertEquals(row.getFloat(j), params.getFloat(i), "layout of parameter " + i);
            for (int k = 0; k < per; k++) {
                assertEquals(0f, state[(int) (k * n + i)], "state row " + k + " of " + i);
            }
        }
        assertTrue(net.getUpdater().getStateViewArray().amaxNumber().doubleValue() > 0);

        // UPDATE (the behaviour before the option) moves them
        MultiLayerNetwork drifting =
                trained(u.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE), ds, 30);
        assertNotEquals(rowBefore, deadRow(drifting));
    }

    @Test
    void thePolicyIsInTheJsonAndOldJsonWithoutItRestoresWithFreeze() {
        LearnedUpdater u = LearnedUpdater.pretrained();
        String json = TestNets.mlp(u).toJson();
        assertTrue(json.contains("\"zeroGradientPolicy\" : \"FREEZE\""), json);

        LearnedUpdater off = u.withZeroGradientPolicy(ZeroGradientPolicy.UPDATE);
        assertNotEquals(u, off);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(TestNets.mlp(off).toJson());
        LearnedUpdater restored =
                (LearnedUpdater) ((BaseLayer) back.getConf(0).getLayer()).getIUpdater();
        assertEquals(ZeroGradientPolicy.UPDATE, restored.zeroGradientPolicy());
        assertEquals(off, restored);
        assertEquals(
                ZeroGradientPolicy.UPDATE, restored.optimizer().zeroGradientPolicy(), "in use");

        // JSON written before the option existed has no zeroGradientPolicy
        String old = json.replaceAll(",\\s*\"zeroGradientPolicy\" : \"FREEZE\"", "");
        assertFalse(old.contains("zeroGradientPolicy"), old);
        LearnedUpdater fromOld =
                (LearnedUpdater)
                        ((BaseLayer) MultiLayerConfiguration.fromJson(old).getConf(0).getLayer())
                                .getIUpdater();
        assertEquals(ZeroGradientPolicy.FREEZE, fromOld.zeroGradientPolicy());
        assertEquals(u, fromOld);
        assertEquals(ZeroGradientPolicy.FREEZE, fromOld.optimizer().zeroGradientPolicy());
    }
}
