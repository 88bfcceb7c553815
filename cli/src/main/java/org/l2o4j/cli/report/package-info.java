/**
 * Reports of the evaluation and the study: markdown tables, CSV files and PNG plots (loss curves
 * with spread bands, bar charts, summary lines), drawn with Java2D.
 */
package org.l2o4j.cli.report;
