package dev.granary.server.auth;

import java.util.Optional;

/** The outcome of checking a request's credentials against what it needs. */
public sealed interface Decision {

    /** Answer it; {@code client} is the token's owner when one was presented. */
    record Allowed(Optional<ClientToken> client) implements Decision {}

    /**
     * No credentials where they are needed ({@link #MISSING}), or credentials that are not a known
     * token ({@link #INVALID}): 401 with the challenges.
     *
     * @param reason the metrics label
     * @param detail what the client is told (never the credentials it sent)
     */
    record Unauthenticated(String reason, String detail) implements Decision {}

    /** A known token without the right: 403. */
    record Forbidden(ClientToken client, String detail) implements Decision {}

    String MISSING = "missing";
    String INVALID = "invalid";
    String FORBIDDEN = "forbidden";
}
