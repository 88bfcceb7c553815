package org.l2o4j.djl;

/**
 * Where {@link LearnedOptimizer} computes the update of a parameter (see {@link
 * LearnedOptimizer.Builder#optDevicePath(DevicePath)}).
 */
public enum DevicePath {
    /**
     * The default: parameters on a GPU (any non-CPU device) are updated on that device with NDArray
     * operations, their optimizer state kept there; CPU parameters use the core's Java kernel.
     */
    AUTO,

    /**
     * Every parameter is updated with NDArray operations on its own device, CPU included (what the
     * tests use to check the device path on a machine without a GPU; slower than the Java kernel on
     * a CPU).
     */
    ALWAYS,

    /**
     * Every parameter goes through the Java kernel: gradient copied to the host, update copied back
     * (the behaviour before the device path existed).
     */
    NEVER
}
