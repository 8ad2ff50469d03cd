package dev.granary.server.http;

import java.util.function.Supplier;

/** Maps a request to its answer: the seam between the HTTP edge and what is served. */
@FunctionalInterface
public interface Router {

    /**
     * What a request maps to: the endpoint kind for metrics, and how to compute the answer, on the
     * event loop when that is cheap and cannot block, else on the executor for blocking work.
     */
    record Route(String kind, boolean blocking, Supplier<Answer> answer) {
        /** An answer known at once (health, index, a refused path). */
        public static Route now(String kind, Answer answer) {
            return new Route(kind, false, () -> answer);
        }

        /** An answer that needs storage, an upstream or other work that may block. */
        public static Route blocking(String kind, Supplier<Answer> answer) {
            return new Route(kind, true, answer);
        }
    }

    /**
     * @param target the request target as sent (origin or absolute form); only GET and HEAD requests
     *               that passed the HTTP-level checks get here
     */
    Route route(String target);
}
