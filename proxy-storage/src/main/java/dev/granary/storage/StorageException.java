package dev.granary.storage;

import java.io.IOException;

/**
 * A store could not complete an operation for a reason other than "not found" (which is an empty
 * result, never an exception): the store is unreachable, full, or refused the request.
 */
public class StorageException extends IOException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
