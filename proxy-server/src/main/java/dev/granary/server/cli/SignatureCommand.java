package dev.granary.server.cli;

import picocli.CommandLine.Command;

/** {@code granary signature}: verify and make OpenPGP signatures. */
@Command(
        name = "signature",
        mixinStandardHelpOptions = true,
        description = "Verify and make OpenPGP signatures that interoperate with gpg.",
        subcommands = {SignatureVerifyCommand.class, SignatureSignCommand.class})
public final class SignatureCommand {}
