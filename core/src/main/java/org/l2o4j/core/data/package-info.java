/**
 * Image datasets for the built-in tasks: the IDX format reader and the MNIST and Fashion-MNIST
 * subsets bundled in the jar.
 *
 * <p>{@link org.l2o4j.core.data.Datasets} finds a dataset (a {@code --data-dir}, {@code
 * L2O_DATA_DIR}, Debian's {@code /usr/share/datasets/fashion-mnist}, or the bundled subsets) and
 * {@link org.l2o4j.core.data.IdxReader} parses it with errors that name the file and what was
 * wrong. The bundled data's sources and licences are in the resources' README.
 */
package org.l2o4j.core.data;
