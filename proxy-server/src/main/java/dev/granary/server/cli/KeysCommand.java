package dev.granary.server.cli;

import picocli.CommandLine.Command;

/** {@code granary keys}: OpenPGP key management. */
@Command(
        name = "keys",
        mixinStandardHelpOptions = true,
        description = "Make OpenPGP keys for signing.",
        subcommands = {KeysGenerateCommand.class})
public final class KeysCommand {}
