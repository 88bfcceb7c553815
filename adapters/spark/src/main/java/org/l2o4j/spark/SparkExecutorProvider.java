package org.l2o4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.l2o4j.core.meta.TruncationContext;
import org.l2o4j.core.meta.TruncationExecutor;
import org.l2o4j.core.meta.TruncationExecutorProvider;

/**
 * The {@code spark} executor kind, found by the command line with {@link java.util.ServiceLoader}
 * when this jar is on the class path ({@code bin/l2o meta-train ... --spark MASTER}).
 */
public final class SparkExecutorProvider implements TruncationExecutorProvider {

    @Override
    public String name() {
        return "spark";
    }

    @Override
    public TruncationExecutor create(String master, TruncationContext context, String taskSpec) {
        JavaSparkContext jsc = new JavaSparkContext(conf(master));
        jsc.setLogLevel("WARN");
        return new SparkTruncationExecutor(jsc, true, context, taskSpec, 0);
    }

    /**
     * The configuration for {@code master} (null or {@code submit}: the one spark-submit gives).
     * Local masters bind to loopback and run no web UI.
     */
    public static SparkConf conf(String master) {
        SparkConf conf = new SparkConf().setAppName("l2o4j meta-train");
        if (master != null && !master.equals("submit")) {
            conf.setMaster(master);
        }
        String m = conf.get("spark.master", "");
        if (m.startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
            conf.setIfMissing("spark.ui.enabled", "false");
        }
        return conf;
    }
}
