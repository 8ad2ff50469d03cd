package dev.granary.core.zip;

import dev.granary.core.ProxyException;
import dev.granary.core.module.GoQuote;
import dev.granary.core.module.ModuleChecks;
import dev.granary.core.module.ModuleVersion;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds a module zip from a list of source files with the rules of {@code golang.org/x/mod/zip} Create
 * (checkFiles): files of nested modules, vendored packages, {@code .hg_archival.txt}, symbolic links and other
 * non-regular files are omitted; unclean or invalid paths, case-fold collisions, a misnamed go.mod and size
 * violations make the whole zip fail, as they make the go command fail.
 *
 * <p>The vendor rule depends on the {@code go} line of the root go.mod, like Go 1.24+: from {@code go 1.24} on,
 * {@code vendor/modules.txt} is omitted and {@code a/vendor/x.go} is not taken for a vendored file.
 */
public final class ModuleZipWriter {

    /** What kind of tree entry a source file is. */
    public enum Kind {
        REGULAR,
        SYMLINK,
        OTHER
    }

    /** Opens a source file's content. */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    /**
     * One file of the module's tree.
     *
     * @param path the slash-separated path relative to the module root
     * @param size the exact number of bytes {@code opener} yields
     */
    public record SourceFile(String path, Kind kind, long size, Opener opener) {}

    // golang.org/x/mod/modfile: the go directive, close enough for the vendor rule (ParseLax ignores the rest).
    private static final Pattern GO_LINE =
            Pattern.compile("(?m)^[ \\t]*go[ \\t]+([0-9][0-9A-Za-z.\\-]*)[ \\t]*(//.*)?\\r?$");

    private ModuleZipWriter() {}

    /**
     * Writes the module zip of {@code files} to {@code target}.
     *
     * @return the number of files written
     * @throws ProxyException NOT_FOUND naming the offending files when the go command would refuse to create
     *                        the zip (the version does not exist as a module)
     */
    public static int create(ModuleVersion mv, List<SourceFile> files, Path target) throws IOException {
        List<SourceFile> valid = checkFiles(mv, files);
        String prefix = mv + "/";
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(target), 1 << 16);
                ZipOutputStream zip = new ZipOutputStream(out)) {
            byte[] buf = new byte[64 * 1024];
            for (SourceFile f : valid) {
                zip.putNextEntry(new ZipEntry(prefix + f.path()));
                long written = 0;
                try (InputStream in = f.opener().open()) {
                    for (int n; (n = in.read(buf)) >= 0; ) {
                        written += n;
                        if (written > f.size()) {
                            throw new IOException("file " + GoQuote.quote(f.path()) + " is larger than declared size");
                        }
                        zip.write(buf, 0, n);
                    }
                }
                if (written != f.size()) {
                    throw new IOException("file " + GoQuote.quote(f.path()) + " is shorter than declared size");
                }
                zip.closeEntry();
            }
        }
        return valid.size();
    }

    /** golang.org/x/mod/zip: checkFiles, returning the files to write (in the given order). */
    static List<SourceFile> checkFiles(ModuleVersion mv, List<SourceFile> files) throws IOException {
        Set<String> goModDirs = new HashSet<>();
        String vers = "";
        for (SourceFile f : files) {
            String p = f.path();
            int slash = p.lastIndexOf('/');
            String dir = p.substring(0, slash + 1);
            String base = p.substring(slash + 1);
            if (base.equalsIgnoreCase("go.mod") && f.kind() == Kind.REGULAR) {
                goModDirs.add(dir);
                if (base.equals("go.mod") && dir.isEmpty() && f.size() <= ModuleZips.MAX_GO_MOD) {
                    try (InputStream in = f.opener().open()) {
                        vers = goVersion(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        List<String> invalid = new ArrayList<>();
        Set<String> reported = new HashSet<>();
        Map<String, ModuleZips.PathInfo> collisions = new HashMap<>();
        List<SourceFile> valid = new ArrayList<>();
        long maxSize = ModuleZips.MAX_ZIP_FILE;
        String sizeError = null;
        for (SourceFile f : files) {
            String p = f.path();
            if (!GoPaths.clean(p).equals(p)) {
                addError(invalid, reported, p, "file path is not clean");
                continue;
            }
            if (p.startsWith("/")) {
                addError(invalid, reported, p, "file path is not relative");
                continue;
            }
            if (isVendoredPackage(p, vers) || inSubmodule(p, goModDirs) || p.equals(".hg_archival.txt")) {
                reported.add(p);
                continue;
            }
            try {
                ModuleChecks.checkFilePath(p);
            } catch (ProxyException e) {
                addError(invalid, reported, p, e.getMessage());
                continue;
            }
            if (p.toLowerCase(Locale.ROOT).equals("go.mod") && !p.equals("go.mod")) {
                addError(invalid, reported, p, "go.mod files must have lowercase names");
                continue;
            }
            String collision = ModuleZips.checkCollision(collisions, p, false);
            if (collision != null) {
                addError(invalid, reported, p, collision);
                continue;
            }
            if (f.kind() != Kind.REGULAR) {
                // Symbolic links (golang.org/issue/27093) and other non-regular files are left out.
                reported.add(p);
                continue;
            }
            long size = f.size();
            if (size >= 0 && size <= maxSize) {
                maxSize -= size;
            } else if (sizeError == null) {
                sizeError = "module source tree too large (max size is " + ModuleZips.MAX_ZIP_FILE + " bytes)";
            }
            if (p.equals("go.mod") && size > ModuleZips.MAX_GO_MOD) {
                addError(
                        invalid,
                        reported,
                        p,
                        "go.mod file too large (max size is " + ModuleZips.MAX_GO_MOD + " bytes)");
                continue;
            }
            if (p.equals("LICENSE") && size > ModuleZips.MAX_LICENSE) {
                addError(
                        invalid,
                        reported,
                        p,
                        "LICENSE file too large (max size is " + ModuleZips.MAX_LICENSE + " bytes)");
                continue;
            }
            valid.add(f);
        }
        if (!invalid.isEmpty() || sizeError != null) {
            StringBuilder b = new StringBuilder(mv + ": create zip: ");
            if (invalid.isEmpty()) {
                b.append(sizeError);
            } else if (invalid.size() == 1) {
                b.append(invalid.get(0));
            } else {
                b.append(invalid.size()).append(" invalid files:");
                invalid.stream().limit(20).forEach(s -> b.append('\n').append(s));
            }
            throw ProxyException.notFound(b.toString());
        }
        return valid;
    }

    private static void addError(List<String> invalid, Set<String> reported, String path, String reason) {
        if (reported.add(path)) {
            invalid.add(path + ": " + reason);
        }
    }

    private static boolean inSubmodule(String p, Set<String> goModDirs) {
        while (true) {
            int slash = p.lastIndexOf('/');
            if (slash < 0) {
                return false;
            }
            String dir = p.substring(0, slash + 1);
            if (goModDirs.contains(dir)) {
                return true;
            }
            p = p.substring(0, slash);
        }
    }

    /** golang.org/x/mod/zip: isVendoredPackage, with the go1.24 correction keyed on the root go.mod's go line. */
    static boolean isVendoredPackage(String name, String goVersion) {
        boolean go124 = compareGoVersions(goVersion, "1.24") >= 0;
        if (go124 && name.equals("vendor/modules.txt")) {
            return true;
        }
        int i;
        if (name.startsWith("vendor/")) {
            i = "vendor/".length();
        } else {
            int j = name.indexOf("/vendor/");
            if (j < 0) {
                return false;
            }
            // Before go1.24 the offset was computed from the start of the name (golang.org/issue/37397).
            i = go124 ? j + "/vendor/".length() : "/vendor/".length();
        }
        return name.substring(i).contains("/");
    }

    /** The {@code go} directive's version of a go.mod ("" when absent or unparsable). */
    static String goVersion(String goMod) {
        Matcher m = GO_LINE.matcher(goMod);
        return m.find() ? m.group(1) : "";
    }

    /** go/version.Compare on the language version: "" sorts before everything; numeric fields compared in order. */
    static int compareGoVersions(String a, String b) {
        if (a.isEmpty() || b.isEmpty()) {
            return a.isEmpty() ? (b.isEmpty() ? 0 : -1) : 1;
        }
        String[] x = a.split("[^0-9]+");
        String[] y = b.split("[^0-9]+");
        for (int i = 0; i < 2; i++) {
            long u = i < x.length && !x[i].isEmpty() ? Long.parseLong(x[i]) : 0;
            long v = i < y.length && !y[i].isEmpty() ? Long.parseLong(y[i]) : 0;
            if (u != v) {
                return Long.compare(u, v);
            }
        }
        return 0;
    }
}
