package dev.granary.core.zip;

import dev.granary.core.ProxyException;
import dev.granary.core.module.Semver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The {@code h1:} directory hash of go.sum and the checksum database, ported from
 * {@code golang.org/x/mod/sumdb/dirhash}.
 *
 * <p>Hash1: sort the file names (byte order), write one line {@code hex(sha256(content)) + "  " + name + "\n"}
 * per file into a SHA-256, and print {@code "h1:" + base64(sum)}. For a module zip the names are the zip entry
 * names ({@code path@version/...}); for a go.sum {@code /go.mod} line it is the single name {@code go.mod}.
 */
public final class Dirhash {

    /** Go's string order: UTF-8 byte order, which is code point order (not UTF-16 order). */
    static final Comparator<String> GO_ORDER = Semver::compareStrings;

    private Dirhash() {}

    /**
     * dirhash.Hash1 over the given file names, reading each file's content from {@code open} (the stream is
     * closed here).
     *
     * @throws ProxyException VERIFICATION_FAILED when a name contains a newline (it would forge a summary line)
     * @throws IOException    from {@code open} or reading
     */
    public static String hash1(List<String> names, IOFunction<String, InputStream> open) throws IOException {
        List<String> sorted = new ArrayList<>(names);
        sorted.sort(GO_ORDER);
        MessageDigest summary = sha256();
        MessageDigest file = sha256();
        byte[] buf = new byte[64 * 1024];
        HexFormat hex = HexFormat.of();
        for (String name : sorted) {
            if (name.indexOf('\n') >= 0) {
                throw new ProxyException(
                        ProxyException.Kind.VERIFICATION_FAILED, "dirhash: file names with newlines are not supported");
            }
            file.reset();
            try (InputStream in = open.apply(name)) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    file.update(buf, 0, n);
                }
            }
            String line = hex.formatHex(file.digest()) + "  " + name + "\n";
            summary.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return "h1:" + Base64.getEncoder().encodeToString(summary.digest());
    }

    /**
     * dirhash.HashZip: Hash1 over every entry of the zip file, named as in the zip. Each entry's content must
     * match its declared size and CRC-32, as Go's archive/zip enforces when reading. This does not check the
     * module zip rules; use {@link ModuleZips#check} for an untrusted module zip.
     *
     * @throws ProxyException VERIFICATION_FAILED when the zip is corrupt
     * @throws IOException    when the file cannot be read
     */
    public static String hashZip(Path zipFile) throws IOException {
        Files.size(zipFile); // a missing or unreadable file is an IOException; what follows is the zip's fault
        try (ZipFile zip = ZipReading.open(zipFile)) {
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                names.add(e.nextElement().getName());
            }
            return hash1(names, name -> ZipReading.openEntry(zip, name, null));
        } catch (IOException | RuntimeException e) {
            throw ZipReading.corrupt(zipFile, e);
        }
    }

    /** The hash of a go.mod file as in a go.sum {@code /go.mod} line: Hash1 over the single name {@code go.mod}. */
    public static String hashGoMod(byte[] goMod) {
        try {
            return hash1(List.of("go.mod"), name -> new ByteArrayInputStream(goMod));
        } catch (IOException e) {
            throw new AssertionError("reading a byte array failed", e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
