package dev.granary.server.http;

import dev.granary.server.auth.Need;
import java.util.function.Supplier;

/** Maps a request to its answer: the seam between the HTTP edge and what is served. */
@FunctionalInterface
public interface Router {

    /**
     * What a request maps to: the endpoint kind for metrics, how to compute the answer (on the event
     * loop when that is cheap and cannot block, else on the executor for blocking work), and what a
     * client needs to be answered ({@link Need}: checked by the edge, with the request's
     * credentials, before the answer is computed).
     */
    record Route(String kind, boolean blocking, Supplier<Answer> answer, Need need) {
        /** An answer known at once (health, index, a refused path); open to everybody. */
        public static Route now(String kind, Answer answer) {
            return new Route(kind, false, () -> answer, Need.OPEN);
        }

        /** An answer that needs storage, an upstream or other work that may block; open until {@link #requiring}. */
        public static Route blocking(String kind, Supplier<Answer> answer) {
            return new Route(kind, true, answer, Need.OPEN);
        }

        /** The same route, answered only to clients that have what {@code need} says. */
        public Route requiring(Need need) {
            return new Route(kind, blocking, answer, need);
        }
    }

    /**
     * @param target the request target as sent (origin or absolute form); only GET and HEAD requests
     *               that passed the HTTP-level checks get here
     */
    Route route(String target);
}
