package dev.granary.server.http;

import dev.granary.server.auth.Need;
import java.nio.file.Path;
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
     * How the body of a PUT is taken in, decided on its head (on the event loop: no I/O).
     */
    sealed interface Intake {
        /** Receive the body (its Content-Length at most {@code maxBytes}) into a temporary file under {@code dir}, then route. */
        record Accept(long maxBytes, Path dir) implements Intake {}

        /**
         * Answer this instead; the body is dropped (or, when large, not read and the connection closed).
         *
         * @param kind the endpoint kind the refusal is counted under in metrics
         */
        record Refuse(String kind, Answer.Refusal refusal) implements Intake {}
    }

    /**
     * @param target the request target as sent (origin or absolute form); only GET and HEAD requests
     *               that passed the HTTP-level checks get here
     */
    Route route(String target);

    /**
     * Routes a request that passed the HTTP-level checks: a GET or HEAD, or a PUT whose body was
     * accepted by {@link #intake} and has been received ({@link Exchange#upload()}).
     */
    default Route route(Exchange ex) {
        return route(ex.target());
    }

    /** Whether the body of a PUT is wanted; by default nothing takes bodies (405). */
    default Intake intake(Exchange ex) {
        return new Intake.Refuse(
                "http",
                new Answer.Refusal(ResponsePolicy.Refusal.METHOD_NOT_ALLOWED, "only GET and HEAD are supported"));
    }
}
