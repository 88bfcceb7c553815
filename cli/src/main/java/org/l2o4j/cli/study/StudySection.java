package org.l2o4j.cli.study;

import java.io.IOException;

/**
 * One section of the study's report. A new section is a new implementation of this interface,
 * listed in {@link StudyRunner#ALL_SECTIONS}; it writes its plots into {@link StudyContext#dir} and
 * returns its markdown, starting with {@link #header()}.
 */
public interface StudySection {

    /** The name used by {@code --sections}, e.g. {@code horizon}. */
    String key();

    /** The section's markdown header, e.g. {@code ## 1. Horizon}. */
    String header();

    /** Runs the section and returns its markdown (header first). */
    String render(StudyContext ctx) throws IOException;

    /**
     * A paragraph for the report's setup (e.g. this section's own meta-training budget), or null.
     * Called after every section has run.
     */
    default String setupNote(StudyContext ctx) {
        return null;
    }

    /** The header's title without the number, e.g. {@code Horizon}. */
    default String title() {
        return header().replaceFirst("^#+ [0-9]+\\. ", "");
    }
}
