package dev.granary.core.git;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.GoQuote;
import dev.granary.core.module.ModuleChecks;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import dev.granary.core.zip.ModuleZipWriter;
import dev.granary.core.zip.ModuleZips;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.eclipse.jgit.attributes.Attributes;
import org.eclipse.jgit.errors.AmbiguousObjectException;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AbbreviatedObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.TreeWalk.OperationType;
import org.eclipse.jgit.treewalk.filter.PathFilter;

/**
 * One module in one git repository, versioned exactly as the go command versions it with
 * {@code GOPROXY=direct}: a port of cmd/go/internal/modfetch {@code coderepo.go} (Versions, Stat and convert,
 * validatePseudoVersion, findDir, GoMod, Zip) over the gitRepo operations of {@code codehost/git.go} (Tags,
 * Stat, RecentTag, DescendsFrom, ReadFile, ReadZip), which here read a {@link GitMirror} instead of running git.
 *
 * <p>Comments name the Go functions; where Go's logic is subtle, its reasoning is kept next to the port.
 */
final class CodeRepo {
    static final long MAX_GO_MOD = ModuleZips.MAX_GO_MOD;
    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");
    private static final int MIN_HASH_DIGITS = 7;

    /** codehost.Origin: what an answer depends on, so a client can tell whether it still holds. */
    record Origin(String vcs, String url, String subdir, String hash, String tagPrefix, String tagSum, String ref) {
        Origin withSubdir(String s) {
            return new Origin(vcs, url, s, hash, tagPrefix, tagSum, ref);
        }

        Origin withTags(String prefix, String sum) {
            return new Origin(vcs, url, subdir, hash, prefix, sum, ref);
        }

        Origin withRef(String r) {
            return new Origin(vcs, url, subdir, hash, tagPrefix, tagSum, r);
        }
    }

    /** codehost.RevInfo / modfetch.RevInfo. */
    record RevInfo(String name, String shortName, Instant time, String version, List<String> tags, Origin origin) {
        RevInfo withVersion(String v) {
            return new RevInfo(name, shortName, time, v, tags, origin);
        }

        RevInfo withOrigin(Origin o) {
            return new RevInfo(name, shortName, time, version, tags, o);
        }
    }

    private record Tag(String name, ObjectId hash) {}

    private final GitMirror mirror;
    private final Repository repo;
    private final Duration freshness;
    private final String modPath;
    private final String codeRoot;
    private final String codeDir;
    private final String pathPrefix;
    private final String pathMajor;
    private final String pseudoMajor;
    private final String url;

    /** modfetch.newCodeRepo. */
    CodeRepo(GitMirror mirror, Duration freshness, String codeRoot, String subdir, String path) {
        if (!RepoResolver.hasPathPrefix(path, codeRoot)) {
            throw ProxyException.notFound("mismatched repo: found " + codeRoot + " for " + path);
        }
        ModulePath.Split split = ModulePath.splitPathVersion(path)
                .orElseThrow(() -> ProxyException.invalid("invalid module path " + GoQuote.quote(path)));
        String prefix = codeRoot.equals(path) ? path : split.prefix();
        String dir = "";
        if (!codeRoot.equals(path)) {
            if (!RepoResolver.hasPathPrefix(prefix, codeRoot)) {
                throw ProxyException.notFound("repository rooted at " + codeRoot + " cannot contain module " + path);
            }
            dir = trimSlashes(prefix.substring(codeRoot.length()));
        }
        if (!subdir.isEmpty()) {
            dir = dir.isEmpty() ? subdir : dir + "/" + subdir;
        }
        this.mirror = mirror;
        this.repo = mirror.repository();
        this.freshness = freshness;
        this.modPath = path;
        this.codeRoot = codeRoot;
        this.codeDir = dir;
        this.pathPrefix = prefix;
        this.pathMajor = split.pathMajor();
        this.pseudoMajor = pathMajorPrefix(split.pathMajor());
        this.url = mirror.url().toString();
    }

    String modulePath() {
        return modPath;
    }

    // ---- modfetch.codeRepo ------------------------------------------------------------------

    /** codeRepo.Versions(""): the tagged versions, with +incompatible ones where allowed. */
    List<String> versions() {
        Map<String, ObjectId> refs = mirror.refs(freshness);
        String p = codeDir.isEmpty() ? "" : codeDir + "/";
        List<String> list = new ArrayList<>();
        List<String> incompatible = new ArrayList<>();
        for (Tag tag : tags(refs, p)) {
            String v = tag.name().substring(p.length());
            // Non-canonical tags are ignored: Stat rewrites those to canonical pseudo-versions.
            if (v.isEmpty() || !v.equals(Semver.canonical(v)) || PseudoVersion.isPseudoVersion(v)) {
                continue;
            }
            if (!matchPathMajor(v, pathMajor)) {
                if (codeDir.isEmpty() && pathMajor.isEmpty() && Semver.major(v).compareTo("v1") > 0) {
                    incompatible.add(v);
                }
                continue;
            }
            list.add(v);
        }
        Semver.sort(list);
        Semver.sort(incompatible);
        return appendIncompatibleVersions(refs, list, incompatible);
    }

    private List<String> appendIncompatibleVersions(
            Map<String, ObjectId> refs, List<String> list, List<String> incompatible) {
        if (incompatible.isEmpty() || !pathMajor.isEmpty()) {
            return list;
        }
        if (!list.isEmpty()
                && readFile(commitOfVersion(refs, list.get(list.size() - 1)), "go.mod")
                        .isPresent()) {
            // The latest compatible version has a go.mod: all +incompatible versions are left out (go.dev/issue/34189).
            return list;
        }
        List<String> out = new ArrayList<>(list);
        String lastMajor = null;
        boolean lastMajorHasGoMod = false;
        for (int i = 0; i < incompatible.size(); i++) {
            String v = incompatible.get(i);
            String major = Semver.major(v);
            if (!major.equals(lastMajor)) {
                int j = i;
                while (j + 1 < incompatible.size()
                        && Semver.major(incompatible.get(j + 1)).equals(major)) {
                    j++;
                }
                lastMajor = major;
                lastMajorHasGoMod = readFile(commitOfVersion(refs, incompatible.get(j)), "go.mod")
                        .isPresent();
            }
            if (!lastMajorHasGoMod) {
                out.add(v + "+incompatible");
            }
        }
        return out;
    }

    private ObjectId commitOfVersion(Map<String, ObjectId> refs, String v) {
        return refs.get(Constants.R_TAGS + revToRev(v));
    }

    /** codeRepo.Stat: resolves a version, branch, tag or hash to its canonical version. */
    RevInfo stat(String rev) {
        return convert(gitStat(revToRev(rev), rev), rev);
    }

    /**
     * The go command's {@code @latest} query: the highest release, else pre-release, of {@link #versions()},
     * else the pseudo-version of the repository's HEAD (codeRepo.Latest).
     */
    RevInfo latest() {
        List<String> versions = versions();
        String release = null;
        String pre = null;
        for (String v : versions) {
            if (Semver.prerelease(v).isEmpty()) {
                release = v;
            } else {
                pre = v;
            }
        }
        String best = release != null ? release : pre;
        if (best != null) {
            return stat(best);
        }
        Map<String, ObjectId> refs = mirror.refs(freshness);
        ObjectId head = refs.get(Constants.HEAD);
        if (head == null) {
            throw ProxyException.notFound(modPath + ": no commits");
        }
        RevInfo info = statLocal(head.name(), head, refs);
        info = info.withOrigin(info.origin().withRef("HEAD"));
        return convert(info, "");
    }

    /** codeRepo.GoMod. */
    byte[] goMod(String version) {
        checkCanonicalArg(version);
        if (PseudoVersion.isPseudoVersion(version)) {
            stat(version);
        }
        FoundDir d = findDir(version);
        if (d.goMod() != null) {
            return d.goMod();
        }
        return readFile(d.commit(), join(d.dir(), "go.mod"))
                .orElseGet(() -> ("module " + autoQuote(modPath) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** codeRepo.Zip: the module zip of {@code version}, written to {@code target}. */
    void zip(String version, Path target) throws IOException {
        checkCanonicalArg(version);
        if (PseudoVersion.isPseudoVersion(version)) {
            stat(version);
        }
        FoundDir d = findDir(version);
        List<ModuleZipWriter.SourceFile> files = archive(d.commit(), d.dir());
        if (files.isEmpty() && !d.dir().isEmpty()) {
            throw ProxyException.notFound(modPath + "@" + version + ": no files in " + d.dir());
        }
        boolean haveLicense = files.stream().anyMatch(f -> f.path().equals("LICENSE"));
        if (!haveLicense && !d.dir().isEmpty()) {
            readFile(d.commit(), "LICENSE")
                    .ifPresent(data -> files.add(new ModuleZipWriter.SourceFile(
                            "LICENSE",
                            ModuleZipWriter.Kind.REGULAR,
                            data.length,
                            () -> new ByteArrayInputStream(data))));
        }
        ModuleZipWriter.create(ModuleVersion.of(modPath, version), files, target);
    }

    private void checkCanonicalArg(String version) {
        if (!version.equals(ModuleVersion.canonicalVersion(version))) {
            throw ProxyException.invalid("version " + version + " is not canonical");
        }
    }

    /** codeRepo.convert: a code-host revision to the module version it stands for. */
    private RevInfo convert(RevInfo info, String statVers) {
        RevInfo out = convertVersion(info, statVers);
        // The Origin of a computed pseudo-version also depends on the tags that gave its base.
        Origin origin = info.origin().withSubdir(codeDir);
        String v = out.version();
        if (PseudoVersion.isPseudoVersion(v) && (!v.equals(statVers) || !v.startsWith("v0.0.0-"))) {
            String prefix = codeDir.isEmpty() ? "" : codeDir + "/";
            if (!pathMajor.isEmpty()) {
                prefix += pathMajor.substring(1) + ".";
            }
            origin = origin.withTags(prefix, tagSum(mirror.refs(null), prefix));
        }
        return out.withOrigin(origin);
    }

    private RevInfo convertVersion(RevInfo info, String statVers) {
        Map<String, Boolean> incompatibleOk = new HashMap<>();
        Predicate<String> canUseIncompatible = v -> {
            if (!codeDir.isEmpty() || !pathMajor.isEmpty()) {
                return false;
            }
            boolean ok = incompatibleOk.computeIfAbsent(
                    "",
                    k -> readFile(ObjectId.fromString(info.name()), "go.mod").isEmpty());
            if (!ok) {
                return false;
            }
            // go.dev/issue/51324: if vN/go.mod exists, release tags of vN are meant for the vN module.
            if (!v.isEmpty() && !statVers.endsWith("+incompatible")) {
                String major = Semver.major(v);
                ok = incompatibleOk.computeIfAbsent(
                        major,
                        k -> readFile(ObjectId.fromString(info.name()), major + "/go.mod")
                                .isEmpty());
                return ok;
            }
            return true;
        };

        if (PseudoVersion.isPseudoVersion(statVers)) {
            RevInfo r = checkCanonical(info, statVers, statVers, canUseIncompatible);
            validatePseudoVersion(info, statVers);
            return r;
        }

        String tagPrefix = codeDir.isEmpty() ? "" : codeDir + "/";
        Predicate<String> isRetracted = retractedVersions();

        // If the VCS gave us a valid version, use that.
        TagVersion tv = tagToVersion(info.version(), tagPrefix);
        if (tv.canonical()) {
            try {
                return checkCanonical(info, tv.version(), statVers, canUseIncompatible);
            } catch (ProxyException e) {
                // Fall through to the tags on the revision.
            }
        }

        String highestCanonical = "";
        String pseudoBase = "";
        for (String pathTag : info.tags()) {
            TagVersion t = tagToVersion(pathTag, tagPrefix);
            if (!statVers.isEmpty() && Semver.compare(t.version(), statVers) == 0) {
                if (t.canonical()) {
                    return checkCanonical(info, t.version(), statVers, canUseIncompatible);
                }
                pseudoBase = t.version();
            }
            if (t.canonical() && Semver.compare(highestCanonical, t.version()) < 0 && !isRetracted.test(t.version())) {
                if (matchPathMajor(t.version(), pathMajor) || canUseIncompatible.test(t.version())) {
                    highestCanonical = t.version();
                }
            }
        }
        if (!highestCanonical.isEmpty()) {
            return checkCanonical(info, highestCanonical, statVers, canUseIncompatible);
        }

        Predicate<String> tagAllowed = tag -> {
            String v = tagToVersion(tag, tagPrefix).version();
            if (v.isEmpty()) {
                return false;
            }
            if (!matchPathMajor(v, pathMajor) && !canUseIncompatible.test(v)) {
                return false;
            }
            return !isRetracted.test(v);
        };
        if (pseudoBase.isEmpty()) {
            String tag = recentTag(ObjectId.fromString(info.name()), tagPrefix, tagAllowed);
            if (!tag.isEmpty()) {
                pseudoBase = tagToVersion(tag, tagPrefix).version();
            }
        }
        return checkCanonical(
                info,
                PseudoVersion.build(pseudoMajor, pseudoBase, info.time(), info.shortName()),
                statVers,
                canUseIncompatible);
    }

    private record TagVersion(String version, boolean canonical) {}

    /** convert's tagToVersion: the version of a tag with the module's prefix, or "" for an unusable tag. */
    private static TagVersion tagToVersion(String tag, String tagPrefix) {
        if (!tag.startsWith(tagPrefix)) {
            return new TagVersion("", false);
        }
        String trimmed = tag.substring(tagPrefix.length());
        if (PseudoVersion.isPseudoVersion(tag)) {
            return new TagVersion("", false);
        }
        // semver.Canonical, not module.CanonicalVersion: an explicit "+incompatible" in a tag is not taken.
        String v = Semver.canonical(trimmed);
        if (v.isEmpty() || !trimmed.startsWith(v)) {
            return new TagVersion("", false);
        }
        return new TagVersion(v, v.equals(trimmed));
    }

    /** convert's checkCanonical: {@code v} checked against the module path, with +incompatible as needed. */
    private RevInfo checkCanonical(RevInfo info, String v, String statVers, Predicate<String> canUseIncompatible) {
        // findDir enforces the go.mod location and the module path it declares.
        findDir(v);
        if (v.equals(stripIncompatible(statVers))) {
            v = statVers;
        }
        String base = stripIncompatible(v);
        String errIncompatible = null;
        if (!matchPathMajor(base, pathMajor)) {
            if (canUseIncompatible.test(base)) {
                v = base + "+incompatible";
            } else if (!pathMajor.isEmpty()) {
                errIncompatible = "module path includes a major version suffix, so major version must match";
            } else {
                errIncompatible = "module contains a go.mod file, so module path must match major version ("
                        + GoQuote.quote(pathPrefix + "/" + Semver.major(v)) + ")";
            }
        } else if (v.endsWith("+incompatible")) {
            errIncompatible = "+incompatible suffix not allowed: major version " + Semver.major(v) + " is compatible";
        }
        if (!statVers.isEmpty() && statVers.equals(ModuleVersion.canonicalVersion(statVers))) {
            String statBase = stripIncompatible(statVers);
            if (!statBase.equals(base)) {
                throw invalidVersion(statVers, "resolves to version " + v + " (" + statBase + " is not a tag)");
            }
        }
        if (errIncompatible != null) {
            throw invalidVersion(v, errIncompatible);
        }
        return new RevInfo(info.name(), info.shortName(), info.time(), v, info.tags(), info.origin());
    }

    /** codeRepo.validatePseudoVersion. */
    private void validatePseudoVersion(RevInfo info, String version) {
        String rev = PseudoVersion.pseudoVersionRev(version);
        if (!rev.equals(info.shortName())) {
            if (rev.startsWith(info.shortName())) {
                throw invalidVersion(version, "revision is longer than canonical (expected " + info.shortName() + ")");
            } else if (info.shortName().startsWith(rev)) {
                throw invalidVersion(version, "revision is shorter than canonical (expected " + info.shortName() + ")");
            }
            throw invalidVersion(version, "does not match short name of revision (expected " + info.shortName() + ")");
        }
        Instant t = PseudoVersion.pseudoVersionTime(version);
        if (!t.equals(info.time())) {
            throw invalidVersion(
                    version,
                    "does not match version-control timestamp (expected "
                            + PseudoVersion.build("v0", "", info.time(), "x").split("-")[1] + ")");
        }
        String tagPrefix = codeDir.isEmpty() ? "" : codeDir + "/";
        String base = PseudoVersion.pseudoVersionBase(stripIncompatible(version));
        if (base.isEmpty()) {
            if (pseudoMajor.isEmpty() && Semver.major(version).equals("v1")) {
                throw invalidVersion(version, "major version without preceding tag must be v0, not v1");
            }
            return;
        }
        for (String tag : info.tags()) {
            String versionOnly = tag.startsWith(tagPrefix) ? tag.substring(tagPrefix.length()) : tag;
            if (versionOnly.equals(base)) {
                throw invalidVersion(
                        version,
                        "tag (" + tag + ") found on revision " + rev
                                + " is already canonical, so should not be replaced with a pseudo-version derived from that tag");
            }
        }
        Map<String, ObjectId> refs = mirror.refs(null);
        String lastTag = "";
        boolean ancestorFound = false;
        for (Tag tag : tags(refs, tagPrefix + base)) {
            String versionOnly = tag.name().substring(tagPrefix.length());
            if (Semver.compare(versionOnly, base) == 0) {
                lastTag = tag.name();
                if (descendsFrom(ObjectId.fromString(info.name()), tag.hash())) {
                    ancestorFound = true;
                    break;
                }
            }
        }
        if (lastTag.isEmpty()) {
            throw invalidVersion(version, "preceding tag (" + base + ") not found");
        }
        if (!ancestorFound) {
            throw invalidVersion(
                    version, "revision " + rev + " is not a descendent of preceding tag (" + lastTag + ")");
        }
    }

    private ProxyException invalidVersion(String version, String reason) {
        return ProxyException.notFound(modPath + "@" + version + ": invalid version: " + reason);
    }

    /** codeRepo.revToRev: a version to the git revision that holds it. */
    private String revToRev(String rev) {
        if (Semver.isValid(rev)) {
            if (PseudoVersion.isPseudoVersion(rev)) {
                return PseudoVersion.pseudoVersionRev(rev);
            }
            if (Semver.build(rev).equals("+incompatible")) {
                rev = rev.substring(0, rev.length() - "+incompatible".length());
            }
            return codeDir.isEmpty() ? rev : codeDir + "/" + rev;
        }
        return rev;
    }

    private record FoundDir(ObjectId commit, String dir, byte[] goMod) {}

    /** codeRepo.findDir: the directory holding the module at {@code version}, and its go.mod if it has one. */
    private FoundDir findDir(String version) {
        if (!Semver.isValid(version)) {
            throw invalidVersion(version, "syntax error");
        }
        String rev = revToRev(version);
        ObjectId commit = ObjectId.fromString(gitStat(rev, version).name());
        String file1 = join(codeDir, "go.mod");
        Optional<byte[]> gomod1 = readFile(commit, file1);
        String mpath1 = gomod1.map(CodeRepo::modulePathOf).orElse("");
        boolean found1 = gomod1.isPresent()
                && (isMajor(mpath1, pathMajor) || pathMajor.isEmpty() && mpath1.startsWith("gopkg.in/"));

        String file2 = null;
        if (!pathMajor.isEmpty() && !codeRoot.equals(modPath) && !pathMajor.startsWith(".")) {
            // Either go.mod claims vN and vN/go.mod does not exist, or vN/go.mod exists and claims vN. Not both.
            String dir2 = join(codeDir, pathMajor.substring(1));
            file2 = join(dir2, "go.mod");
            Optional<byte[]> gomod2 = readFile(commit, file2);
            String mpath2 = gomod2.map(CodeRepo::modulePathOf).orElse("");
            boolean found2 = gomod2.isPresent() && isMajor(mpath2, pathMajor);
            if (found1 && found2) {
                throw notExist(pathPrefix + "/" + file1 + " and ..." + pathMajor + "/go.mod both have ..." + pathMajor
                        + " module paths at revision " + rev);
            }
            if (found2) {
                return new FoundDir(commit, dir2, gomod2.get());
            }
            if (gomod2.isPresent()) {
                if (mpath2.isEmpty()) {
                    throw notExist(codeRoot + "/" + file2 + " is missing module path at revision " + rev);
                }
                throw notExist(codeRoot + "/" + file2 + " has non-..." + pathMajor + " module path "
                        + GoQuote.quote(mpath2) + " at revision " + rev);
            }
        }
        if (found1) {
            return new FoundDir(commit, codeDir, gomod1.get());
        }
        if (gomod1.isPresent()) {
            String suffix = file2 != null ? " (and ..." + pathMajor + "/go.mod does not exist)" : "";
            if (mpath1.isEmpty()) {
                throw notExist(file1 + " is missing module path" + suffix + " at revision " + rev);
            }
            if (!pathMajor.isEmpty()) {
                throw notExist(file1 + " has non-..." + pathMajor + " module path " + GoQuote.quote(mpath1) + suffix
                        + " at revision " + rev);
            }
            if (ModulePath.splitPathVersion(mpath1).isEmpty()) {
                throw notExist(
                        file1 + " has malformed module path " + GoQuote.quote(mpath1) + suffix + " at revision " + rev);
            }
            throw notExist(file1 + " has post-" + Semver.major(version) + " module path " + GoQuote.quote(mpath1)
                    + suffix + " at revision " + rev);
        }
        if (codeDir.isEmpty() && (pathMajor.isEmpty() || pathMajor.startsWith("."))) {
            return new FoundDir(commit, "", null);
        }
        if (file2 != null) {
            throw notExist("missing " + pathPrefix + "/go.mod and ..." + pathMajor + "/go.mod at revision " + rev);
        }
        throw notExist("missing " + pathPrefix + "/go.mod at revision " + rev);
    }

    private ProxyException notExist(String reason) {
        return ProxyException.notFound(modPath + ": " + reason);
    }

    /** coderepo.go isMajor. */
    private static boolean isMajor(String mpath, String pathMajor) {
        if (mpath.isEmpty()) {
            return false;
        }
        Optional<ModulePath.Split> s = ModulePath.splitPathVersion(mpath);
        if (s.isEmpty()) {
            return false;
        }
        String mpathMajor = s.get().pathMajor();
        if (pathMajor.isEmpty()) {
            String m = pathMajorPrefix(mpathMajor);
            return m.isEmpty() || m.equals("v0") || m.equals("v1");
        }
        if (mpathMajor.isEmpty()) {
            return false;
        }
        return pathMajor.substring(1).equals(mpathMajor.substring(1));
    }

    /** codeRepo.retractedVersions: retractions declared in the go.mod of the highest release (or pre-release). */
    private Predicate<String> retractedVersions() {
        List<String> versions;
        try {
            versions = new ArrayList<>(versions());
        } catch (ProxyException e) {
            return v -> false;
        }
        versions.removeIf(v -> v.endsWith("+incompatible"));
        if (versions.isEmpty()) {
            return v -> false;
        }
        String highest = versions.get(versions.size() - 1);
        for (int i = versions.size() - 1; i >= 0; i--) {
            if (Semver.prerelease(versions.get(i)).isEmpty()) {
                highest = versions.get(i);
                break;
            }
        }
        byte[] data;
        try {
            data = goMod(highest);
        } catch (ProxyException e) {
            return v -> false;
        }
        List<String[]> intervals = GoMods.retractions(new String(data, StandardCharsets.UTF_8));
        return v -> {
            for (String[] r : intervals) {
                if (Semver.compare(r[0], v) <= 0 && Semver.compare(v, r[1]) <= 0) {
                    return true;
                }
            }
            return false;
        };
    }

    // ---- codehost.gitRepo over the mirror ----------------------------------------------------

    /** gitRepo.Tags: tags with {@code prefix}, in Go string order. */
    private static List<Tag> tags(Map<String, ObjectId> refs, String prefix) {
        List<Tag> out = new ArrayList<>();
        for (Map.Entry<String, ObjectId> e : refs.entrySet()) {
            if (e.getKey().startsWith(Constants.R_TAGS)) {
                String tag = e.getKey().substring(Constants.R_TAGS.length());
                if (tag.startsWith(prefix)) {
                    out.add(new Tag(tag, e.getValue()));
                }
            }
        }
        out.sort((a, b) -> Semver.compareStrings(a.name(), b.name()));
        return out;
    }

    /** gitRepo.Tags' TagSum: a hash of the version-like tags under the prefix's directory. */
    private static String tagSum(Map<String, ObjectId> refs, String prefix) {
        String dir = prefix.substring(0, prefix.lastIndexOf('/') + 1);
        MessageDigest h;
        try {
            h = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Tag tag : tags(refs, prefix)) {
            if (isOriginTag(tag.name().substring(dir.length()))) {
                h.update((GoQuote.quote(tag.name()) + " " + tag.hash().name() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        return "t1:" + Base64.getEncoder().encodeToString(h.digest());
    }

    /** codehost.isOriginTag. */
    private static boolean isOriginTag(String tag) {
        String c = Semver.canonical(tag);
        return !c.isEmpty() && tag.startsWith(c) && !PseudoVersion.isPseudoVersion(tag);
    }

    /**
     * gitRepo.stat: a tag, branch, HEAD or hash (prefix) to its commit. Canonical versions are looked up in the
     * mirror as it is and fetched only when missing; branch names and HEAD always see a fresh mirror.
     */
    private RevInfo gitStat(String rev, String requested) {
        boolean immutable = Semver.isValid(requested) && requested.equals(ModuleVersion.canonicalVersion(requested));
        if (immutable) {
            RevInfo local = tryStat(rev, mirror.refs(null));
            if (local != null) {
                return local;
            }
        }
        RevInfo info = tryStat(rev, mirror.refs(freshness));
        if (info == null) {
            throw ProxyException.notFound(modPath + "@" + requested + ": invalid version: unknown revision " + rev);
        }
        return info;
    }

    private RevInfo tryStat(String rev, Map<String, ObjectId> refs) {
        String ref = null;
        ObjectId hash = null;
        boolean hex = rev.length() >= MIN_HASH_DIGITS
                && rev.length() <= 40
                && HEX.matcher(rev).matches();
        if (refs.containsKey(Constants.R_TAGS + rev)) {
            ref = Constants.R_TAGS + rev;
            hash = refs.get(ref);
        } else if (refs.containsKey(Constants.R_HEADS + rev)) {
            ref = Constants.R_HEADS + rev;
            hash = refs.get(ref);
            rev = hash.name();
        } else if (rev.equals(Constants.HEAD) && refs.containsKey(Constants.HEAD)) {
            ref = Constants.HEAD;
            hash = refs.get(ref);
            rev = hash.name();
        } else if (hex) {
            for (Map.Entry<String, ObjectId> e : refs.entrySet()) {
                String h = e.getValue().name();
                if (h.startsWith(rev)) {
                    if (hash != null && !hash.name().equals(h)) {
                        throw ProxyException.notFound(modPath + ": ambiguous revision " + rev);
                    }
                    if (ref == null || ref.compareTo(e.getKey()) > 0) {
                        ref = e.getKey();
                    }
                    hash = e.getValue();
                }
            }
            if (hash == null) {
                hash = resolveAbbreviated(rev);
            } else {
                rev = hash.name();
            }
        } else {
            return null;
        }
        if (hash == null) {
            return null;
        }
        RevInfo info = statLocal(rev, hash, refs);
        if (info == null) {
            return null;
        }
        if (ref != null && !ref.equals(info.name())) {
            info = info.withOrigin(info.origin().withRef(ref));
        }
        return info;
    }

    private ObjectId resolveAbbreviated(String rev) {
        try (ObjectReader reader = repo.newObjectReader()) {
            var ids = reader.resolve(AbbreviatedObjectId.fromString(rev));
            if (ids.size() > 1) {
                throw ProxyException.notFound(modPath + ": ambiguous revision " + rev);
            }
            return ids.isEmpty() ? null : ids.iterator().next().toObjectId();
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "reading the mirror of " + url + ": " + e.getMessage(), e);
        }
    }

    /** gitRepo.statLocal: the commit's time, short name and tags; Version is {@code version} if it is one of them. */
    private RevInfo statLocal(String version, ObjectId id, Map<String, ObjectId> refs) {
        RevCommit c;
        try (RevWalk walk = new RevWalk(repo)) {
            c = walk.parseCommit(id);
        } catch (MissingObjectException | IncorrectObjectTypeException e) {
            return null;
        } catch (AmbiguousObjectException e) {
            throw ProxyException.notFound(modPath + ": ambiguous revision " + version);
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "reading the mirror of " + url + ": " + e.getMessage(), e);
        }
        String hash = c.name();
        if (hash.startsWith(version)) {
            version = hash;
        }
        List<String> tags = new ArrayList<>();
        for (Map.Entry<String, ObjectId> e : refs.entrySet()) {
            if (e.getKey().startsWith(Constants.R_TAGS) && e.getValue().equals(c)) {
                tags.add(e.getKey().substring(Constants.R_TAGS.length()));
            }
        }
        tags.sort(Semver::compareStrings);
        String v = tags.contains(version) ? version : hash;
        Instant time = Instant.ofEpochSecond(c.getCommitTime());
        return new RevInfo(
                hash, hash.substring(0, 12), time, v, List.copyOf(tags), new Origin("git", url, "", hash, "", "", ""));
    }

    /** gitRepo.RecentTag: the highest allowed tag with {@code prefix} that {@code rev} descends from, or "". */
    private String recentTag(ObjectId rev, String prefix, Predicate<String> allowed) {
        List<Tag> candidates = new ArrayList<>();
        for (Tag t : tags(mirror.refs(null), prefix)) {
            if (allowed.test(t.name())) {
                candidates.add(t);
            }
        }
        candidates.sort((a, b) ->
                Semver.compare(b.name().substring(prefix.length()), a.name().substring(prefix.length())));
        for (Tag t : candidates) {
            if (descendsFrom(rev, t.hash())) {
                return t.name();
            }
        }
        return "";
    }

    /** gitRepo.DescendsFrom: whether {@code tag}'s commit is {@code rev} or one of its ancestors. */
    private boolean descendsFrom(ObjectId rev, ObjectId tag) {
        try (RevWalk walk = new RevWalk(repo)) {
            return walk.isMergedInto(walk.parseCommit(tag), walk.parseCommit(rev));
        } catch (MissingObjectException | IncorrectObjectTypeException e) {
            return false;
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "reading the mirror of " + url + ": " + e.getMessage(), e);
        }
    }

    /** gitRepo.ReadFile ({@code git cat-file blob rev:file}): the raw blob, or empty when it is not a blob. */
    Optional<byte[]> readFile(ObjectId commit, String file) {
        if (commit == null) {
            return Optional.empty();
        }
        try (RevWalk walk = new RevWalk(repo)) {
            RevCommit c = walk.parseCommit(commit);
            try (TreeWalk tw = TreeWalk.forPath(repo, file, c.getTree())) {
                if (tw == null || tw.getFileMode(0).getObjectType() != Constants.OBJ_BLOB) {
                    return Optional.empty();
                }
                var loader = repo.open(tw.getObjectId(0), Constants.OBJ_BLOB);
                if (loader.getSize() > MAX_GO_MOD) {
                    throw ProxyException.notFound(modPath + ": " + file + " is larger than " + MAX_GO_MOD + " bytes");
                }
                return Optional.of(loader.getBytes());
            }
        } catch (MissingObjectException | IncorrectObjectTypeException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "reading the mirror of " + url + ": " + e.getMessage(), e);
        }
    }

    /**
     * gitRepo.ReadZip: the files {@code git -c core.autocrlf=input -c core.eol=lf archive <rev> -- <dir>} writes,
     * relative to {@code dir}, with the go command's attribute override (no export-subst, no export-ignore).
     */
    private List<ModuleZipWriter.SourceFile> archive(ObjectId commit, String dir) throws IOException {
        List<ModuleZipWriter.SourceFile> files = new ArrayList<>();
        String prefix = dir.isEmpty() ? "" : dir + "/";
        try (RevWalk walk = new RevWalk(repo);
                TreeWalk tw = new TreeWalk(repo)) {
            RevCommit c = walk.parseCommit(commit);
            tw.setOperationType(OperationType.CHECKOUT_OP);
            tw.setAttributesNodeProvider(repo.createAttributesNodeProvider());
            tw.addTree(c.getTree());
            tw.setRecursive(true);
            if (!dir.isEmpty()) {
                tw.setFilter(PathFilter.create(dir));
            }
            while (tw.next()) {
                String path = tw.getPathString();
                if (!path.startsWith(prefix)) {
                    continue;
                }
                String name = path.substring(prefix.length());
                FileMode mode = tw.getFileMode(0);
                ObjectId id = tw.getObjectId(0);
                if (mode == FileMode.GITLINK) {
                    continue; // A submodule is a directory entry in git's archive, which the go command skips.
                }
                if (mode == FileMode.SYMLINK) {
                    long size = repo.open(id).getSize();
                    files.add(new ModuleZipWriter.SourceFile(
                            name,
                            ModuleZipWriter.Kind.SYMLINK,
                            size,
                            () -> repo.open(id).openStream()));
                    continue;
                }
                if (mode != FileMode.REGULAR_FILE && mode != FileMode.EXECUTABLE_FILE) {
                    files.add(new ModuleZipWriter.SourceFile(
                            name, ModuleZipWriter.Kind.OTHER, 0, () -> new ByteArrayInputStream(new byte[0])));
                    continue;
                }
                Attributes attrs = tw.getAttributes();
                GitConvert conv = GitConvert.of(attrs);
                long size = repo.open(id, Constants.OBJ_BLOB).getSize();
                if (conv.changesContent()) {
                    if (size > ModuleZips.MAX_ZIP_FILE) {
                        throw ProxyException.notFound(modPath + ": " + name + " is too large to convert line endings");
                    }
                    byte[] converted =
                            conv.apply(repo.open(id, Constants.OBJ_BLOB).getCachedBytes(Integer.MAX_VALUE - 64), id);
                    files.add(new ModuleZipWriter.SourceFile(
                            name,
                            ModuleZipWriter.Kind.REGULAR,
                            converted.length,
                            () -> new ByteArrayInputStream(converted)));
                } else {
                    files.add(new ModuleZipWriter.SourceFile(
                            name,
                            ModuleZipWriter.Kind.REGULAR,
                            size,
                            () -> repo.open(id, Constants.OBJ_BLOB).openStream()));
                }
            }
        }
        return files;
    }

    // ---- small helpers of golang.org/x/mod ---------------------------------------------------

    /** module.MatchPathMajor. */
    static boolean matchPathMajor(String v, String pathMajor) {
        if (v.isEmpty()) {
            return false;
        }
        try {
            ModuleChecks.checkPathMajor(v, pathMajor);
            return true;
        } catch (ProxyException e) {
            return false;
        }
    }

    /** module.PathMajorPrefix: "v2" for "/v2" or ".v2", "" for "". */
    static String pathMajorPrefix(String pathMajor) {
        if (pathMajor.isEmpty()) {
            return "";
        }
        String m = pathMajor;
        if (m.startsWith(".v") && m.endsWith("-unstable")) {
            m = m.substring(0, m.length() - "-unstable".length());
        }
        return m.substring(1);
    }

    /** modfile.ModulePath: the module path declared in a go.mod, or "". */
    static String modulePathOf(byte[] goMod) {
        return GoMods.modulePath(new String(goMod, StandardCharsets.UTF_8));
    }

    /** modfile.AutoQuote. */
    private static String autoQuote(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' '
                    || c == '\t'
                    || c == '"'
                    || c == '\''
                    || c == '`'
                    || c == '('
                    || c == ')'
                    || c == ','
                    || c == '/' && s.startsWith("//", i)
                    || c == '/' && s.startsWith("/*", i)) {
                return GoQuote.quote(s);
            }
        }
        return s;
    }

    private static String stripIncompatible(String v) {
        return v.endsWith("+incompatible") ? v.substring(0, v.length() - "+incompatible".length()) : v;
    }

    private static String join(String dir, String file) {
        return dir.isEmpty() ? file : dir + "/" + file;
    }

    private static String trimSlashes(String s) {
        int i = 0;
        int j = s.length();
        while (i < j && s.charAt(i) == '/') {
            i++;
        }
        while (j > i && s.charAt(j - 1) == '/') {
            j--;
        }
        return s.substring(i, j);
    }
}
