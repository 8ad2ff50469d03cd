package dev.granary.core.fetch;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.policy.PolicyException;
import dev.granary.core.upstream.UpstreamBusyException;
import dev.granary.core.verify.RefusedException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for work that runs elsewhere, with the work's failure rethrown in the waiter's terms. */
final class Waits {
    private Waits() {}

    /**
     * Waits up to {@code wait} for {@code f}. A waiter that gives up never cancels the work: it
     * completes for whoever asks next.
     */
    static <T> T await(CompletableFuture<T> f, Duration wait, Object what) {
        try {
            return f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (TimeoutException e) {
            throw new ProxyException(
                    Kind.UPSTREAM_TIMEOUT,
                    "timed out waiting for the fetch of " + what + " (it continues in the background)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyException(Kind.INTERNAL, "interrupted waiting for " + what);
        }
    }

    /** Joins work this thread depends on (no timeout of its own: the work is bounded by its upstream timeouts). */
    static <T> T join(CompletableFuture<T> f, Object what) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProxyException(Kind.INTERNAL, "interrupted waiting for " + what);
        }
    }

    /** A fresh exception per waiter: its stack shows this caller; kind, message and reason are shared. */
    static ProxyException rethrown(Throwable c) {
        if (c instanceof UpstreamBusyException b) {
            UpstreamBusyException copy =
                    new UpstreamBusyException(b.status(), b.retryAfter().orElse(null), b.getMessage());
            copy.initCause(b);
            return copy;
        }
        if (c instanceof RefusedException r) {
            RefusedException copy = new RefusedException(r.reason(), r.getMessage());
            copy.initCause(r);
            return copy;
        }
        if (c instanceof PolicyException p) {
            return p.copy();
        }
        if (c instanceof ProxyException pe) {
            return new ProxyException(pe.kind(), pe.getMessage(), pe);
        }
        return new ProxyException(Kind.INTERNAL, String.valueOf(c), c);
    }
}
