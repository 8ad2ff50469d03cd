package dev.granary.core.fetch;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.Closeable;
import java.io.IOException;

/** How the fetch layer reports its own storage failures. */
final class Failures {
    private Failures() {}

    static ProxyException storage(String what, IOException e) {
        return new ProxyException(Kind.STORAGE_UNAVAILABLE, "storage failure " + what + ": " + e.getMessage(), e);
    }

    /** Closes {@code c}, adding a failure to close to {@code primary} instead of replacing it. */
    static void closeQuietly(Closeable c, Throwable primary) {
        try {
            c.close();
        } catch (IOException closing) {
            primary.addSuppressed(closing);
        }
    }

    /** True for answers that mean "not here": remembered for the not-found TTL. */
    static boolean isNotFound(ProxyException e) {
        return e.kind() == Kind.NOT_FOUND || e.kind() == Kind.GONE;
    }

    /**
     * True for failures worth remembering briefly so a burst of requests does not hammer the upstream
     * (a version refused by policy once its .info was fetched among them).
     */
    static boolean isRemembered(ProxyException e) {
        return switch (e.kind()) {
            case UPSTREAM_FAILED, UPSTREAM_TIMEOUT, VERIFICATION_FAILED, FORBIDDEN -> true;
            default -> false;
        };
    }
}
