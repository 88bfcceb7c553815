/** JMH benchmarks of the kernels; how to run them is in CONTRIBUTING.md ("Benchmark"). */
package org.l2o4j.benchmarks;
