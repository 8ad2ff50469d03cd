package dev.granary.server.auth;

/**
 * A client as a token line names it: a name for logs and refusals (never a secret) and its grants.
 * The token itself is known only by its hash.
 */
public record ClientToken(String name, Grants grants) {}
