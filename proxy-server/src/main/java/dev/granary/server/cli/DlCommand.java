package dev.granary.server.cli;

import picocli.CommandLine.Command;

/** {@code granary dl}: the Go release archive mirror behind {@code /dl/}. */
@Command(
        name = "dl",
        mixinStandardHelpOptions = true,
        description = "Manage the mirror of Go release archives (go.dev/dl) served at /dl/.",
        subcommands = {DlPrefetchCommand.class})
public final class DlCommand {}
