/**
 * {@code bin/l2o study}: the evaluation study the paper's review asked for (horizons,
 * generalization, meta-loss weighting, architecture, cost), written to one directory as a markdown
 * report with plots. See docs/design.md section 4.
 */
package org.l2o4j.cli.study;
