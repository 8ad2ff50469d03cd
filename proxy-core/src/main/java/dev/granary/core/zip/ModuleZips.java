package dev.granary.core.zip;

import dev.granary.core.ProxyException;
import dev.granary.core.module.GoQuote;
import dev.granary.core.module.ModuleChecks;
import dev.granary.core.module.ModuleVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Verification of module zip files as the go command does before it trusts one, ported from
 * {@code golang.org/x/mod/zip} CheckZip, plus hashing and zip-bomb defence.
 *
 * <p>Implementation notes.
 * <ul>
 *   <li>The rules are CheckZip's, which are looser than Create's. A zip is refused when an entry lacks the
 *       {@code path@version/} prefix, its name is not clean or not a valid file path (module.CheckFilePath),
 *       two names are equal under Unicode case folding, a name is both a file and a directory, a file appears
 *       twice, a {@code go.mod} (in any case) is outside the module root or the root one is not spelled
 *       {@code go.mod}, the zip file or the total declared size exceeds 500 MiB, or the root go.mod or LICENSE
 *       exceeds 16 MiB. What Create merely omits when building a zip (vendored packages, {@code .hg_archival.txt},
 *       symlinks, other files of a nested module) is not a CheckZip error and is accepted here too; only the
 *       nested module's go.mod itself is refused.</li>
 *   <li>Entries are listed from the central directory, like Go. Sizes declared there are checked first;
 *       then every entry is inflated once, in hash order, and must yield exactly its declared size and
 *       CRC-32 (Go's reader enforces the same). Inflation stops at the first byte beyond the declared size,
 *       so a zip bomb costs at most the declared total, itself bounded by 500 MiB.</li>
 *   <li>Any failure to parse or inflate is a {@link ProxyException.Kind#VERIFICATION_FAILED}, never an
 *       unchecked exception from java.util.zip.</li>
 *   <li>Like Go, there is no limit on the number of entries: java.util.zip.ZipFile holds the central
 *       directory in memory, at most the zip's size (500 MiB) in a pathological zip of empty entries.</li>
 * </ul>
 */
public final class ModuleZips {

    /** zip.MaxZipFile: the limit of the zip file's size and of its total uncompressed content. */
    public static final long MAX_ZIP_FILE = 500L << 20;
    /** zip.MaxGoMod: the limit of the root go.mod's size. */
    public static final long MAX_GO_MOD = 16L << 20;
    /** zip.MaxLICENSE: the limit of the root LICENSE's size. */
    public static final long MAX_LICENSE = 16L << 20;

    /** How many invalid files a refusal message lists before it summarises the rest. */
    private static final int MAX_REPORTED = 20;

    private ModuleZips() {}

    /**
     * Checks that {@code zipFile} is a valid module zip for {@code mv} and computes its h1 hash.
     *
     * @return the hash, the root go.mod (if any), the inflated size and the number of files
     * @throws ProxyException VERIFICATION_FAILED with a reason naming the offending file(s), also when the zip
     *                        is truncated or corrupt
     * @throws IOException    when the file cannot be opened at all (missing, unreadable)
     */
    public static ZipCheck check(Path zipFile, ModuleVersion mv) throws IOException {
        long zipSize = Files.size(zipFile);
        if (zipSize > MAX_ZIP_FILE) {
            throw failed(
                    mv + ": module zip file is too large (" + zipSize + " bytes; limit is " + MAX_ZIP_FILE + " bytes)");
        }
        try (ZipFile zip = ZipReading.open(zipFile)) {
            List<Entry> entries = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry ze = e.nextElement();
                entries.add(new Entry(ze.getName(), ze.getSize()));
            }
            CheckedFiles cf = checkEntries(mv, entries);
            if (cf.sizeError() != null) {
                throw failed(mv + ": " + cf.sizeError());
            }
            if (!cf.invalid().isEmpty()) {
                throw failed(mv + ": invalid module zip: " + describe(cf.invalid()));
            }

            String goModName = mv + "/go.mod";
            ByteArrayOutputStream goMod = new ByteArrayOutputStream();
            long total = 0;
            int files = 0;
            List<String> names = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                names.add(e.name());
                if (!e.name().endsWith("/")) {
                    files++;
                    total += e.declaredSize();
                }
            }
            boolean hasGoMod = names.contains(goModName);
            String h1 = Dirhash.hash1(
                    names, name -> ZipReading.openEntry(zip, name, name.equals(goModName) ? goMod : null));
            // Every file was read to its end, where its size was verified equal to the declared one.
            return new ZipCheck(h1, hasGoMod ? Optional.of(goMod.toByteArray()) : Optional.empty(), total, files);
        } catch (IOException | RuntimeException e) {
            throw ZipReading.corrupt(zipFile, e);
        }
    }

    /** A zip entry as listed in the central directory. */
    record Entry(String name, long declaredSize) {}

    /** One refused file and why, printed like Go's FileError: {@code name: reason}. */
    record FileError(String path, String reason) {
        @Override
        public String toString() {
            return path + ": " + reason;
        }
    }

    /**
     * The outcome of the name and size rules, like Go's CheckedFiles (nothing is omitted by CheckZip).
     *
     * @param valid     entry names of files that are fine
     * @param invalid   entries refused, in zip order
     * @param sizeError the total-size violation, or null
     */
    record CheckedFiles(List<String> valid, List<FileError> invalid, String sizeError) {}

    /** golang.org/x/mod/zip: checkZip, the per-entry rules on names and declared sizes. */
    static CheckedFiles checkEntries(ModuleVersion mv, List<Entry> entries) {
        List<String> valid = new ArrayList<>();
        List<FileError> invalid = new ArrayList<>();
        String sizeError = null;
        String prefix = mv + "/";
        Map<String, PathInfo> collisions = new HashMap<>();
        long size = 0;
        for (Entry zf : entries) {
            if (!zf.name().startsWith(prefix)) {
                invalid.add(new FileError(zf.name(), "path does not have prefix " + GoQuote.quote(prefix)));
                continue;
            }
            String name = zf.name().substring(prefix.length());
            if (name.isEmpty()) {
                continue;
            }
            boolean isDir = name.endsWith("/");
            if (isDir) {
                name = name.substring(0, name.length() - 1);
            }
            if (!GoPaths.clean(name).equals(name)) {
                invalid.add(new FileError(zf.name(), "file path is not clean"));
                continue;
            }
            try {
                ModuleChecks.checkFilePath(name);
            } catch (ProxyException e) {
                invalid.add(new FileError(zf.name(), e.getMessage()));
                continue;
            }
            String collision = checkCollision(collisions, name, isDir);
            if (collision != null) {
                invalid.add(new FileError(zf.name(), collision));
                continue;
            }
            if (isDir) {
                continue;
            }
            String base = GoPaths.base(name);
            if (base.equalsIgnoreCase("go.mod")) {
                if (!base.equals(name)) {
                    invalid.add(new FileError(zf.name(), "go.mod file not in module root directory"));
                    continue;
                }
                if (!name.equals("go.mod")) {
                    invalid.add(new FileError(zf.name(), "go.mod files must have lowercase names"));
                    continue;
                }
            }
            // A declared size of 2^63 or more reads as negative, as in Go's int64 conversion.
            long sz = zf.declaredSize();
            if (sz >= 0 && MAX_ZIP_FILE - size >= sz) {
                size += sz;
            } else if (sizeError == null) {
                sizeError =
                        "total uncompressed size of module contents too large (max size is " + MAX_ZIP_FILE + " bytes)";
            }
            if (name.equals("go.mod") && sz > MAX_GO_MOD) {
                invalid.add(new FileError(zf.name(), "go.mod file too large (max size is " + MAX_GO_MOD + " bytes)"));
                continue;
            }
            if (name.equals("LICENSE") && sz > MAX_LICENSE) {
                invalid.add(new FileError(zf.name(), "LICENSE file too large (max size is " + MAX_LICENSE + " bytes)"));
                continue;
            }
            valid.add(zf.name());
        }
        return new CheckedFiles(List.copyOf(valid), List.copyOf(invalid), sizeError);
    }

    record PathInfo(String path, boolean isDir) {}

    /**
     * golang.org/x/mod/zip: collisionChecker, names equal under case folding, a name that is both a file and a
     * directory (checked on every parent directory too), and repeated files; repeated directories are fine.
     */
    static String checkCollision(Map<String, PathInfo> seen, String p, boolean isDir) {
        while (true) {
            String fold = GoPaths.foldKey(p);
            PathInfo other = seen.get(fold);
            if (other != null) {
                if (!p.equals(other.path())) {
                    return "case-insensitive file name collision: " + GoQuote.quote(other.path()) + " and "
                            + GoQuote.quote(p);
                }
                if (isDir != other.isDir()) {
                    return "entry " + GoQuote.quote(p) + " is both a file and a directory";
                }
                if (!isDir) {
                    return "multiple entries for file " + GoQuote.quote(p);
                }
            } else {
                seen.put(fold, new PathInfo(p, isDir));
            }
            String parent = GoPaths.dir(p);
            if (parent.equals(".")) {
                return null;
            }
            p = parent;
            isDir = true;
        }
    }

    private static String describe(List<FileError> invalid) {
        if (invalid.size() == 1) {
            return invalid.get(0).toString();
        }
        StringBuilder b = new StringBuilder(invalid.size() + " invalid files:");
        for (int i = 0; i < invalid.size() && i < MAX_REPORTED; i++) {
            b.append('\n').append(invalid.get(i));
        }
        if (invalid.size() > MAX_REPORTED) {
            b.append("\n... and ").append(invalid.size() - MAX_REPORTED).append(" more");
        }
        return b.toString();
    }

    private static ProxyException failed(String reason) {
        return new ProxyException(ProxyException.Kind.VERIFICATION_FAILED, reason);
    }
}
