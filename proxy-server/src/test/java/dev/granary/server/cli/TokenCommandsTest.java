package dev.granary.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.granary.server.Main;
import dev.granary.server.auth.TokenTable;
import dev.granary.server.auth.Tokens;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** granary token new and granary token hash: the token printed once, only its hash in the file. */
class TokenCommandsTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void newAppendsTheHashedLineAndPrintsTheTokenOnce() throws Exception {
        Path file = tmp.resolve("tokens");
        Files.writeString(file, "# client tokens");
        Run r = run(
                "token", "new", "--name", "ci", "--append", file.toString(), "read:corp.example.com", "cache-write");
        assertThat(r.exit()).as(r.err()).isZero();
        String token = r.out().strip();
        assertThat(token).startsWith(Tokens.PREFIX).hasSize(Tokens.PREFIX.length() + 43);
        String content = Files.readString(file);
        assertThat(content)
                .isEqualTo("# client tokens\nci " + Tokens.hash(token) + " read:corp.example.com cache-write\n")
                .doesNotContain(token);
        TokenTable table = TokenTable.parse(Map.of("file", content));
        assertThat(table.lookup(token))
                .hasValueSatisfying(c -> assertThat(c.name()).isEqualTo("ci"));

        Run again = run("token", "new", "--name", "ci", "--append", file.toString(), "read");
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("token name 'ci' is used twice");
        assertThat(Files.readString(file)).isEqualTo(content);
    }

    @Test
    void withoutAFileTheLineGoesToStderrAndBadRightsAreRefused() {
        Run r = run("token", "new", "--name", "prometheus", "metrics");
        assertThat(r.exit()).isZero();
        assertThat(r.err())
                .contains("add this line to auth.tokens-file:\nprometheus "
                        + Tokens.hash(r.out().strip()) + " metrics");
        Run bad = run("token", "new", "--name", "x", "write");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown right 'write'");
        assertThat(bad.out()).isEmpty();
    }

    @Test
    void hashReadsTheTokenFromStdin() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("granary_test\n".getBytes(StandardCharsets.UTF_8)));
            Run r = run("token", "hash");
            assertThat(r.exit()).isZero();
            assertThat(r.out().strip())
                    .isEqualTo("sha256:a7112456adc861dceee2aa72acadc9cb45b339be75f5bc800a53a3adc576e3ad");
        } finally {
            System.setIn(stdin);
        }
    }
}
