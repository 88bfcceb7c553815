package org.l2o4j.djl;

/**
 * An optimizer state file's bytes are not those that were saved: its checksum does not match, it is
 * cut short or has bytes after its end, or its header is not that of a state file. Nothing was
 * loaded. The message says so in one line, names the file and what the user can do.
 */
public class DamagedStateFileException extends StateFileException {
    private static final long serialVersionUID = 1L;

    /**
     * @param source the file or stream name
     * @param detail the rest of the message: that it is damaged, how, and what to do
     */
    public DamagedStateFileException(String source, String detail) {
        super(source, detail);
    }

    /**
     * @param source the file or stream name
     * @param detail the rest of the message: that it is damaged, how, and what to do
     * @param cause the underlying failure
     */
    public DamagedStateFileException(String source, String detail, Throwable cause) {
        super(source, detail, cause);
    }
}
