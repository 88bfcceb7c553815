package org.l2o4j.spark;

import java.io.Serializable;
import org.l2o4j.core.task.TaskFamily;

/**
 * Builds a task family on a Spark executor, for families built in user code (e.g. a {@code
 * DjlTaskFamily} from a DJL block and dataset) that have no task spec: the factory is serialized to
 * the executors with each truncation's job, and each executor JVM calls {@link #create} once and
 * keeps the family for the rest of its life (cached by the factory's serialized bytes, so an equal
 * factory in a later run reuses it). Give it as a lambda or method reference ({@code
 * MyModels::family}; the interface is {@link Serializable}, so such lambdas are serializable when
 * everything they capture is) or as a named class. The classes it needs must be on the executors'
 * class path (the application jar, {@code --jars}); the model and data it reads must be readable on
 * each executor: bundle them as class path resources or ship files with {@code
 * JavaSparkContext.addFile} and open them with {@code SparkFiles.get}.
 *
 * <p>Every call must build the same family as the driver's {@code MetaTrainingConfig.taskFamily()}
 * (same tasks for the same seeds), or the weights differ from a run without Spark.
 */
@FunctionalInterface
public interface TaskFamilyFactory extends Serializable {

    /** Builds the family (on an executor, once per JVM). */
    TaskFamily create() throws Exception;
}
