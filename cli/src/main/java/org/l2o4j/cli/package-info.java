/**
 * The {@code bin/l2o} command line (picocli): {@code demo}, {@code meta-train}, {@code evaluate},
 * {@code study}, {@code bench} and {@code manifest}.
 *
 * <p>{@link org.l2o4j.cli.L2o} is the entry point; each subcommand is one class. Errors the user
 * can fix are one line on stderr with exit code 2.
 */
package org.l2o4j.cli;
