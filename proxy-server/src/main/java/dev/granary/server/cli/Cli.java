package dev.granary.server.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** What the commands share: exit codes, one-line errors, safe output. */
final class Cli {
    /** Success. */
    static final int OK = 0;
    /** The signature (or key, or passphrase) was refused. */
    static final int REFUSED = 1;
    /** The command was used wrongly: a named file is missing, an output exists, a variable is unset. */
    static final int USAGE = 2;

    private Cli() {}

    /** Prints {@code granary: MESSAGE} on stderr and returns {@code code}. */
    static int fail(PrintWriter err, int code, String message) {
        err.println("granary: " + message);
        err.flush();
        return code;
    }

    /** Text from a key (a user id) with control characters replaced, so it cannot drive the terminal. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    /** Replaces {@code target} with {@code content} in one step: readers see the old file or the new one. */
    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, content);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
