package dev.granary.core.module;

import dev.granary.core.ProxyException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The go.sum lines of one module version (go.dev/ref/mod#go-sum-files):
 * <pre>
 * &lt;module&gt; &lt;version&gt; h1:...          the zip's dirhash
 * &lt;module&gt; &lt;version&gt;/go.mod h1:...   the go.mod's dirhash
 * </pre>
 * Formatted and parsed here only. Either hash may be absent (a go.sum lists only {@code /go.mod}
 * for modules whose code was not needed), never both.
 *
 * @param version the module version
 * @param zipH1   the zip's h1, or null
 * @param modH1   the go.mod's h1, or null
 */
public record GoSum(ModuleVersion version, String zipH1, String modH1) {

    public GoSum {
        if (version == null || (zipH1 == null && modH1 == null)) {
            throw new IllegalArgumentException("go.sum entry needs a version and at least one hash");
        }
    }

    /** Both lines, as Granary stores them for every committed version. */
    public static GoSum of(ModuleVersion version, String zipH1, String modH1) {
        return new GoSum(version, zipH1, modH1);
    }

    /** The go.sum text: the zip line (when known) then the go.mod line (when known), each ending in a newline. */
    public String text() {
        String p = version.path().value() + " " + version.version();
        StringBuilder b = new StringBuilder();
        if (zipH1 != null) {
            b.append(p).append(' ').append(zipH1).append('\n');
        }
        if (modH1 != null) {
            b.append(p).append("/go.mod ").append(modH1).append('\n');
        }
        return b.toString();
    }

    public byte[] bytes() {
        return text().getBytes(StandardCharsets.UTF_8);
    }

    /** True when every hash this entry has equals the other's hash of the same kind, and both have the same kinds. */
    public boolean sameHashes(GoSum o) {
        return version.equals(o.version) && Objects.equals(zipH1, o.zipH1) && Objects.equals(modH1, o.modH1);
    }

    /**
     * Parses go.sum text (a go.sum file, a stored {@code .sum}, or the record of a checksum database
     * lookup) into one entry per module version, in order of first appearance. Blank lines are skipped.
     *
     * @throws ProxyException INVALID naming the line for a malformed line or an invalid module version
     */
    public static List<GoSum> parse(String text) {
        Map<ModuleVersion, String[]> byVersion = new LinkedHashMap<>();
        int n = 0;
        for (String raw : text.split("\n", -1)) {
            n++;
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(" +");
            if (f.length != 3 || !f[2].contains(":")) {
                throw ProxyException.invalid("go.sum line " + n + ": malformed: " + GoQuote.quote(line));
            }
            boolean goMod = f[1].endsWith("/go.mod");
            String v = goMod ? f[1].substring(0, f[1].length() - "/go.mod".length()) : f[1];
            ModuleVersion mv;
            try {
                mv = ModuleVersion.of(f[0], v);
            } catch (ProxyException e) {
                throw ProxyException.invalid("go.sum line " + n + ": " + e.getMessage());
            }
            String[] h = byVersion.computeIfAbsent(mv, k -> new String[2]);
            h[goMod ? 1 : 0] = f[2];
        }
        List<GoSum> out = new ArrayList<>(byVersion.size());
        byVersion.forEach((mv, h) -> out.add(new GoSum(mv, h[0], h[1])));
        return out;
    }

    /** The entry for {@code mv} in go.sum text, or null when the text does not list it. */
    public static GoSum find(String text, ModuleVersion mv) {
        for (GoSum s : parse(text)) {
            if (s.version.equals(mv)) {
                return s;
            }
        }
        return null;
    }
}
