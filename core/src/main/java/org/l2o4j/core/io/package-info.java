/**
 * Optimizer weight files: safetensors with l2o4j metadata, a sha256 manifest, atomic writes.
 *
 * <p>{@link org.l2o4j.core.io.WeightFiles} reads and writes {@link
 * org.l2o4j.core.lstm.LstmWeights}; {@link org.l2o4j.core.io.WeightMetadata} names the metadata
 * keys; {@link org.l2o4j.core.io.WeightManifest} lists shipped files with their checksums. Every
 * malformed input raises a {@link org.l2o4j.core.io.WeightFileException} subtype naming the file,
 * what was expected and what was found. The format is in docs/design.md section 5: version 1 for
 * the LSTM (every file written before other cells existed), version 2 with the {@code features},
 * {@code head} (and for the MLP {@code activation}) keys for other cells; both are read.
 */
package org.l2o4j.core.io;
