package dev.granary.core.module;

import dev.granary.core.ProxyException;

/**
 * A module at a canonical semantic version, such as {@code rsc.io/quote@v1.5.2}: what a {@code .zip},
 * {@code .mod} or {@code .info} request names once resolved. The canonical constructor applies module.Check
 * plus the canonical-version rule of module zips, so every instance is a valid pair:
 * <ul>
 *   <li>the version is valid semver in canonical form ({@code module.CanonicalVersion(v) == v}: no
 *       {@code v1.2} shorthand, no build metadata other than {@code +incompatible});</li>
 *   <li>its major version fits the path's suffix (module.CheckPathMajor).</li>
 * </ul>
 *
 * @param path    the module path
 * @param version the canonical version
 */
public record ModuleVersion(ModulePath path, String version) {

    /** @throws ProxyException INVALID when the pair is not valid; the message names path and version */
    public ModuleVersion {
        if (path == null || version == null) {
            throw ProxyException.invalid("missing module path or version");
        }
        // golang.org/x/mod/module: Check requires semver; golang.org/x/mod/zip: checkZip requires it canonical.
        if (!Semver.isValid(version)) {
            throw ProxyException.invalid(path.value() + "@" + version + ": invalid version: not a semantic version");
        }
        String canonical = canonicalVersion(version);
        if (!canonical.equals(version)) {
            throw ProxyException.invalid("version " + GoQuote.quote(version) + " is not canonical (should be "
                    + GoQuote.quote(canonical) + ")");
        }
        path.checkMajor(version);
    }

    /** Validates and pairs a plain (unescaped) module path and version. */
    public static ModuleVersion of(String path, String version) {
        return new ModuleVersion(ModulePath.parse(path), version);
    }

    /** The escaped module path, as in GOPROXY URLs. */
    public String escapedPath() {
        return path.escaped();
    }

    /** The escaped version, as in GOPROXY URLs ({@code !r!c1} for {@code RC1}; canonical versions rarely need it). */
    public String escapedVersion() {
        return ModuleEscaping.escapeVersion(version);
    }

    /** {@code path@version}, also the prefix of every file name in the module zip (plus "/"). */
    @Override
    public String toString() {
        return path.value() + "@" + version;
    }

    /**
     * module.CanonicalVersion: {@link Semver#canonical} but keeping a {@code +incompatible} build suffix;
     * "" when invalid.
     */
    public static String canonicalVersion(String v) {
        String cv = Semver.canonical(v);
        if (Semver.build(v).equals("+incompatible")) {
            cv += "+incompatible";
        }
        return cv;
    }
}
