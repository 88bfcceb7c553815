package org.l2o4j.core.data;

/**
 * Which part of a dataset: meta-train on {@link #TRAIN}, evaluate on {@link #TEST} (docs/design.md
 * section 3).
 */
public enum Split {
    /** The training images ({@code train-*-ubyte} files). */
    TRAIN("train"),
    /** The held-out test images ({@code t10k-*-ubyte} files). */
    TEST("t10k");

    private final String filePrefix;

    Split(String filePrefix) {
        this.filePrefix = filePrefix;
    }

    /** The IDX file name prefix: {@code train} or {@code t10k}. */
    public String filePrefix() {
        return filePrefix;
    }

    /**
     * Parses {@code train} or {@code test} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Split parse(String s) {
        for (Split split : values()) {
            if (split.name().equalsIgnoreCase(s.trim())) {
                return split;
            }
        }
        throw new IllegalArgumentException("split must be train or test but was '" + s + "'");
    }
}
