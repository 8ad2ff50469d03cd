package dev.granary.core.zip;

import java.io.IOException;

/**
 * A function that may fail with an {@link IOException}, such as opening a file by name.
 *
 * @param <T> the argument type
 * @param <R> the result type
 */
@FunctionalInterface
public interface IOFunction<T, R> {

    /** Applies the function. */
    R apply(T t) throws IOException;
}
