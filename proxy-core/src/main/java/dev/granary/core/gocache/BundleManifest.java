package dev.granary.core.gocache;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.granary.core.module.GoSum;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The first entry of a pre-warm bundle ({@code manifest.json}): what the entries were built for
 * ({@link KeyInputs}), for which go.sum, with which modules, and the size and SHA-256 of every file.
 * A restore reads it before anything else, compares the inputs with the local {@code go env}, and
 * checks every file against it.
 *
 * @param format   {@value #FORMAT}
 * @param id       {@link KeyInputs#bundleId} of {@code inputs} and {@code gosum}: checked on read
 * @param name     a label for people and the index, by default the project's module path
 * @param created  when it was built, RFC 3339
 * @param builder  what built it ({@code granary <version>})
 * @param gosum    {@link #gosumDigest} of the project's go.sum
 * @param modules  {@code path@version} of every module whose packages are in the bundle
 * @param packages how many dependency packages the bundle was built from
 * @param files    every file of the bundle after the manifest, in archive order
 */
public record BundleManifest(
        int format,
        String id,
        String name,
        String created,
        String builder,
        KeyInputs inputs,
        String gosum,
        List<String> modules,
        int packages,
        List<FileEntry> files) {
    public static final int FORMAT = 1;
    /** The archive entry that holds the manifest; always the first. */
    public static final String ENTRY = "manifest.json";
    /** A manifest larger than this is refused before it is parsed (about 400,000 files). */
    public static final int MAX_BYTES = 64 << 20;

    private static final Pattern FILE_NAME = Pattern.compile("([0-9a-f]{2})/([0-9a-f]{64})-([ad])");
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One cache file: {@code <xx>/<hex id>-a} (an action entry) or {@code <xx>/<hex id>-d} (an
     * output, named by the SHA-256 of its content), where xx is the ID's first byte.
     */
    public record FileEntry(String name, long size, String sha256) {
        public FileEntry {
            var m = FILE_NAME.matcher(Objects.requireNonNull(name, "name"));
            if (!m.matches() || !m.group(2).startsWith(m.group(1))) {
                throw new IllegalArgumentException("not a build cache file name: " + printable(name));
            }
            if (size < 0 || !CacheIds.isId(sha256)) {
                throw new IllegalArgumentException("invalid size or SHA-256 for " + name);
            }
        }

        /** The action or output ID the file is named by. */
        public String cacheId() {
            return name.substring(3, 67);
        }

        @JsonIgnore
        public boolean isOutput() {
            return name.endsWith("-d");
        }
    }

    public BundleManifest {
        if (format != FORMAT) {
            throw new IllegalArgumentException(
                    "unsupported bundle format " + format + " (this Granary reads format " + FORMAT + ")");
        }
        Objects.requireNonNull(inputs, "inputs");
        if (gosum == null || !CacheIds.isId(gosum)) {
            throw new IllegalArgumentException("manifest has no valid go.sum digest");
        }
        if (id == null || !ID.matcher(id).matches() || !id.equals(inputs.bundleId(gosum))) {
            throw new IllegalArgumentException(
                    "manifest id " + printable(String.valueOf(id)) + " is not the identity of its inputs");
        }
        name = Objects.requireNonNullElse(name, "");
        created = Objects.requireNonNullElse(created, "");
        builder = Objects.requireNonNullElse(builder, "");
        modules = List.copyOf(modules == null ? List.of() : modules);
        files = List.copyOf(Objects.requireNonNull(files, "files"));
        Set<String> seen = new HashSet<>();
        for (FileEntry f : files) {
            if (!seen.add(f.name())) {
                throw new IllegalArgumentException("manifest lists " + f.name() + " twice");
            }
        }
    }

    /**
     * The digest of a go.sum that names a bundle: the SHA-256 of its module lines (module, version
     * and zip hash; the {@code /go.mod} lines do not change what is compiled), sorted, one per line.
     */
    public static String gosumDigest(String gosumText) {
        List<String> lines = new ArrayList<>();
        for (GoSum s : GoSum.parse(gosumText)) {
            if (s.zipH1() != null) {
                lines.add(s.version().path().value() + " " + s.version().version() + " " + s.zipH1());
            }
        }
        lines.sort(null);
        StringBuilder b = new StringBuilder();
        lines.forEach(l -> b.append(l).append('\n'));
        return CacheIds.sha256(b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Total bytes of the files. */
    public long totalBytes() {
        return files.stream().mapToLong(FileEntry::size).sum();
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("manifest does not serialize", e);
        }
    }

    /**
     * Parses and validates a manifest.
     *
     * @throws BundleException MALFORMED when it is not a valid manifest
     */
    public static BundleManifest parse(byte[] json) throws BundleException {
        try {
            return JSON.readValue(json, BundleManifest.class);
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            Throwable cause = e;
            while (cause.getCause() != null && (cause instanceof IOException)) {
                cause = cause.getCause();
            }
            throw new BundleException(
                    BundleException.Reason.MALFORMED,
                    "bundle manifest is not valid: "
                            + printable(String.valueOf(cause.getMessage())
                                    .lines()
                                    .findFirst()
                                    .orElse("")));
        }
    }

    static String printable(String s) {
        String t = s.length() > 120 ? s.substring(0, 120) + "..." : s;
        StringBuilder b = new StringBuilder(t.length());
        t.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
