package dev.granary.server.cli;

import dev.granary.server.http.TokenCacheAccess;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granary gocache token}: a new build cache token, its hash added to a token file. */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = {
            "Make a random bearer token for the build caches: print it once on stdout, and add its SHA-256 "
                    + "(never the token) to FILE, the file gocache.write-token-file or gocache.read-token-file names.",
            "Restart Granary to take a changed file into account.",
            "Exit status: 0 made; 2 the file cannot be written."})
public final class GocacheTokenCommand implements Callable<Integer> {

    @Option(names = "--file", paramLabel = "FILE", required = true, description = "token hash file to add the new token's hash to (created 0600)")
    Path file;

    @Option(names = "--comment", paramLabel = "TEXT", description = "a note kept next to the hash (who or what uses the token)")
    String comment;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = "gct_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        String note = (comment == null ? "" : comment.replaceAll("\\p{Cntrl}", " ") + " ") + "added " + Instant.now();
        String line = TokenCacheAccess.line(token) + "  # " + note + "\n";
        try {
            if (!Files.exists(file) && file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (FileAlreadyExistsException e) {
                    // made meanwhile: append to it
                }
            }
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            return Cli.fail(err, Cli.USAGE, "cannot write " + file + ": " + e.getClass().getSimpleName());
        }
        out.println(token);
        out.flush();
        err.println("its hash was added to " + file + "; the token is not stored anywhere: keep it in your CI's secrets");
        err.flush();
        return Cli.OK;
    }
}
