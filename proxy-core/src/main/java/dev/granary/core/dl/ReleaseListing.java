package dev.granary.core.dl;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.GoVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The Go release listing, in the shape of {@code https://go.dev/dl/?mode=json[&include=all]}: a JSON
 * array of releases ({@code version}, {@code stable}, {@code files}), each file with {@code filename},
 * {@code os}, {@code arch}, {@code version}, {@code sha256}, {@code size} and {@code kind}
 * ({@code archive}, {@code installer} or {@code source}). Tools such as the CI setup action read
 * exactly these fields. Unknown fields are ignored; Granary answers with the fields above, in that
 * order, so a listing it serves parses wherever the official one does.
 *
 * <p>A file whose name could not be mirrored safely (a path separator, characters outside
 * {@code [A-Za-z0-9._+-]}) is left out of the listing. A file without a well-formed SHA-256 stays
 * listed but is never mirrored: its archive cannot be checked.
 */
public record ReleaseListing(List<Release> releases) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FILENAME = Pattern.compile("go[A-Za-z0-9._+-]{1,200}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public ReleaseListing {
        releases = List.copyOf(releases);
    }

    /** One release: {@code go1.26.3}, whether it is stable, and its files. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Release(String version, boolean stable, List<ReleaseFile> files) {
        public Release {
            files = files == null ? List.of() : List.copyOf(files);
        }
    }

    /** One downloadable file of a release. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ReleaseFile(
            String filename, String os, String arch, String version, String sha256, long size, String kind) {
        public ReleaseFile {
            os = os == null ? "" : os;
            arch = arch == null ? "" : arch;
            version = version == null ? "" : version;
            sha256 = sha256 == null ? "" : sha256.strip().toLowerCase(Locale.ROOT);
            kind = kind == null ? "" : kind;
        }

        /** True when the listing gives a SHA-256 the archive can be checked against. */
        public boolean hasSha256() {
            return SHA256.matcher(sha256).matches();
        }

        /** The SHA-256 as bytes; only when {@link #hasSha256()}. */
        public byte[] sha256Bytes() {
            return HexFormat.of().parseHex(sha256);
        }
    }

    /**
     * Parses a listing as the release site answers it.
     *
     * @throws ProxyException UPSTREAM_FAILED when it is not a JSON array of releases
     */
    public static ReleaseListing parse(byte[] json) {
        List<Release> raw;
        try {
            raw = JSON.readValue(json, new TypeReference<List<Release>>() {});
        } catch (IOException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new ProxyException(
                    Kind.UPSTREAM_FAILED, "release listing is not the expected JSON: " + firstLine(why));
        }
        if (raw == null) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, "release listing is empty (null)");
        }
        List<Release> out = new ArrayList<>(raw.size());
        for (Release r : raw) {
            if (r == null || r.version() == null || r.version().isBlank()) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, "release listing has a release without a version");
            }
            List<ReleaseFile> files = r.files().stream()
                    .filter(f -> f != null && isValidFilename(f.filename()))
                    .toList();
            out.add(new Release(r.version(), r.stable(), files));
        }
        return new ReleaseListing(out);
    }

    /** The listing as JSON, in the release site's shape. */
    public byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(releases);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * True for a name a release file may have and a mirror may store under {@code dl/}: it starts with
     * {@code go}, holds only {@code [A-Za-z0-9._+-]}, no {@code ..}, and does not end in {@code .sha256}
     * or {@code .asc} (those name a file's checksum and signature).
     */
    public static boolean isValidFilename(String name) {
        return name != null
                && FILENAME.matcher(name).matches()
                && !name.contains("..")
                && !name.endsWith(".sha256")
                && !name.endsWith(".asc");
    }

    /** The entry for {@code filename}, from whichever release lists it. */
    public Optional<ReleaseFile> find(String filename) {
        for (Release r : releases) {
            for (ReleaseFile f : r.files()) {
                if (f.filename().equals(filename)) {
                    return Optional.of(f);
                }
            }
        }
        return Optional.empty();
    }

    /** This listing with only the files that pass {@code keep}, and only the releases left with a file. */
    public ReleaseListing filter(Predicate<ReleaseFile> keep) {
        List<Release> out = new ArrayList<>();
        for (Release r : releases) {
            List<ReleaseFile> files = r.files().stream().filter(keep).toList();
            if (!files.isEmpty()) {
                out.add(new Release(r.version(), r.stable(), files));
            }
        }
        return new ReleaseListing(out);
    }

    /** The stable releases only (the shape of {@code ?mode=json} without {@code include=all}, as a mirror can offer it). */
    public ReleaseListing stableOnly() {
        return new ReleaseListing(releases.stream().filter(Release::stable).toList());
    }

    /** The release versions without the {@code go} prefix ({@code 1.26.3}), valid Go versions only. */
    public List<String> versions() {
        return releases.stream()
                .map(r -> GoVersion.strip(r.version()))
                .filter(GoVersion::isValid)
                .toList();
    }

    /** The release named {@code version} ({@code 1.26.3} or {@code go1.26.3}). */
    public Optional<Release> release(String version) {
        String v = GoVersion.strip(version);
        return releases.stream()
                .filter(r -> GoVersion.strip(r.version()).equals(v))
                .findFirst();
    }

    /** Every file name in the listing. */
    public Set<String> filenames() {
        return releases.stream()
                .flatMap(r -> r.files().stream())
                .map(ReleaseFile::filename)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
