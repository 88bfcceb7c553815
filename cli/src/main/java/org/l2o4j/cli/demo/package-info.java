/**
 * The {@code bin/l2o demo}: the paper's MNIST MLP trained in DL4J with tuned Adam and with the
 * learned optimizer, a table and a PNG of both loss curves.
 */
package org.l2o4j.cli.demo;
