package dev.granary.server.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Where a secret key's passphrase comes from: {@code --passphrase-env VAR} or {@code --passphrase-file
 * FILE} (its first line), never the command line itself, where any user could read it in the process
 * list. Used as an exclusive picocli argument group.
 */
public final class PassphraseOptions {

    @Option(
            names = "--passphrase-env",
            paramLabel = "VAR",
            description = "read the passphrase from environment variable VAR")
    String env;

    @Option(
            names = "--passphrase-file",
            paramLabel = "FILE",
            description = "read the passphrase from the first line of FILE")
    Path file;

    /** A passphrase the user gave in a way that does not work: the command exits 2. */
    static final class Unusable extends Exception {
        Unusable(String message) {
            super(message);
        }
    }

    /**
     * The passphrase, or null when neither option was given (or {@code options} is null, picocli's way
     * of saying the group is absent). The caller wipes the array after use.
     */
    static char[] read(PassphraseOptions options, Map<String, String> environment) throws Unusable {
        if (options == null) {
            return null;
        }
        if (options.env != null) {
            String value = environment.get(options.env);
            if (value == null) {
                throw new Unusable("environment variable " + options.env + " is not set");
            }
            return value.toCharArray();
        }
        if (options.file != null) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(options.file);
            } catch (IOException e) {
                throw new Unusable("cannot read passphrase file " + options.file + ": "
                        + e.getClass().getSimpleName());
            }
            try {
                int end = 0;
                while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                    end++;
                }
                CharBuffer chars = StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes, 0, end));
                char[] passphrase = new char[chars.remaining()];
                chars.get(passphrase);
                Arrays.fill(chars.array(), '\0');
                return passphrase;
            } catch (CharacterCodingException e) {
                throw new Unusable("passphrase file " + options.file + " is not UTF-8 text");
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }
        return null;
    }

    static void wipe(char[] passphrase) {
        if (passphrase != null) {
            Arrays.fill(passphrase, '\0');
        }
    }
}
