package dev.granary.server.cli;

import picocli.CommandLine.Command;

/** {@code granary token}: client tokens for {@code auth.tokens-file}. */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = "Make client tokens and the hashed lines auth.tokens-file holds.",
        subcommands = {TokenNewCommand.class, TokenHashCommand.class})
public final class TokenCommand {}
