package dev.granary.server.cli;

import dev.granary.server.auth.Tokens;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code granary token hash}: the {@code sha256:} form of a token read from stdin, for tokens made elsewhere. */
@Command(
        name = "hash",
        mixinStandardHelpOptions = true,
        description = {
            "Read a token from the first line of stdin and print its sha256: hash, as auth.tokens-file holds it.",
            "The token must be as random as the ones 'granary token new' makes (a short password could be guessed from its hash).",
            "Exit status: 0 printed; 2 no token on stdin."
        })
public final class TokenHashCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String token = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (token == null || token.strip().isEmpty()) {
            return Cli.fail(err, Cli.USAGE, "no token on stdin");
        }
        out.println(Tokens.hash(token.strip()));
        out.flush();
        return Cli.OK;
    }
}
