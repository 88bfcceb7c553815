package org.l2o4j.core.data;

import java.io.IOException;

/** An IDX file (or a pair of image and label files) that is not what it must be. */
public class IdxFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception; the message names the source and what was wrong. */
    public IdxFormatException(String message) {
        super(message);
    }
}
