package dev.granary.server.cli;

import picocli.CommandLine.Command;

/** {@code granary toolchains}: Go toolchains as modules ({@code golang.org/toolchain}, GOTOOLCHAIN). */
@Command(
        name = "toolchains",
        mixinStandardHelpOptions = true,
        description =
                "Manage the Go toolchain modules (golang.org/toolchain) the go command downloads for GOTOOLCHAIN.",
        subcommands = {ToolchainsPrefetchCommand.class})
public final class ToolchainsCommand {}
