package dev.granary.server.cli;

import dev.granary.server.auth.TokenTable;
import dev.granary.server.auth.Tokens;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granary token new}: a random token, printed once, and its hashed line for the token file. */
@Command(
        name = "new",
        mixinStandardHelpOptions = true,
        description = {
            "Make a random client token (256 bits) with the given rights. The token is printed on stdout, once: it is not stored "
                    + "anywhere. Its line for auth.tokens-file (name, SHA-256, rights) is appended to --append FILE, "
                    + "or printed on stderr.",
            "Rights: read (every module), read:<patterns> (GOPRIVATE-style, comma-separated), cache-read, cache-write, metrics, admin.",
            "Clients send the token as the password of a .netrc line for Granary's host, or as a Bearer token.",
            "Exit status: 0 made; 2 usage error (a bad name or right, a name already in the file)."
        })
public final class TokenNewCommand implements Callable<Integer> {

    @Option(
            names = "--name",
            paramLabel = "NAME",
            required = true,
            description = "who the token is for (in logs and refusals; not secret)")
    String name;

    @Option(
            names = "--append",
            paramLabel = "FILE",
            description = "append the token's line to this token file (Granary reloads it)")
    Path append;

    @Parameters(paramLabel = "RIGHT", arity = "1..*", description = "the token's rights")
    List<String> rights;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String token = Tokens.generate();
        String line = name + " " + Tokens.hash(token) + " " + String.join(" ", rights);
        try {
            TokenTable.parse(Map.of("the new token", line));
        } catch (IllegalArgumentException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        }
        if (append != null) {
            try {
                String existing = Files.exists(append) ? Files.readString(append) : "";
                // The whole file must still parse: a duplicate name is refused here, not at the server's reload.
                TokenTable.parse(Map.of(append.toString(), existing + "\n" + line));
                String sep = existing.isEmpty() || existing.endsWith("\n") ? "" : "\n";
                Cli.writeAtomically(append, (existing + sep + line + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                return Cli.fail(err, Cli.USAGE, e.getMessage());
            } catch (IOException e) {
                return Cli.fail(err, Cli.USAGE, "cannot write " + append + ": " + e);
            }
        } else {
            err.println("add this line to auth.tokens-file:");
            err.println(line);
            err.flush();
        }
        out.println(token);
        out.flush();
        return Cli.OK;
    }
}
