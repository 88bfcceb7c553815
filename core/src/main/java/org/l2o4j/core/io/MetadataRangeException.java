package org.l2o4j.core.io;

/**
 * An architecture value in a weight file's metadata is a number, but outside the range the
 * optimizer accepts (e.g. {@code output_scale} = {@code 1e30} or negative): such a file would load
 * and then make every update absurd. The message names the key, the value and the allowed range.
 */
public class MetadataRangeException extends MalformedHeaderException {
    private static final long serialVersionUID = 1L;

    private final String key;
    private final String value;
    private final String range;

    /**
     * @param source the file or stream name
     * @param key the metadata key
     * @param value the value as written in the file
     * @param range the allowed range, e.g. {@code [1e-08, 100]}
     */
    public MetadataRangeException(String source, String key, String value, String range) {
        super(
                source,
                "metadata '"
                        + key
                        + "' = '"
                        + value
                        + "' is outside the allowed range "
                        + range
                        + " (was the file edited, or written by another tool?)");
        this.key = key;
        this.value = value;
        this.range = range;
    }

    /** The metadata key. */
    public String key() {
        return key;
    }

    /** The value as written in the file. */
    public String value() {
        return value;
    }

    /** The allowed range. */
    public String range() {
        return range;
    }
}
