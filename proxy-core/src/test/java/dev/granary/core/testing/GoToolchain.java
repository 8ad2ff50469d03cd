package dev.granary.core.testing;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Go toolchain on this machine: the {@code go} binary as found, the real {@code bin} directory it
 * lives in (what goes first on a test's {@code PATH}) and what {@code go version} printed.
 *
 * @param go          the path the toolchain was found at, e.g. {@code /usr/bin/go}
 * @param binDir      the directory of the resolved binary, e.g. {@code /usr/lib/go-1.19/bin}
 * @param version     the release, e.g. {@code go1.26.8} (second field of {@code go version})
 * @param versionLine the whole {@code go version} line, e.g. {@code go version go1.26.8 linux/amd64}
 */
public record GoToolchain(Path go, Path binDir, String version, String versionLine) {

    // go1.19.8, go1.26.8, go1.27rc1, go1.22: the language version is the first two numbers.
    private static final Pattern RELEASE = Pattern.compile("go(\\d+)\\.(\\d+)(?:\\D.*)?");

    public GoToolchain {
        if (go == null || binDir == null || version == null || versionLine == null) {
            throw new IllegalArgumentException("toolchain fields must not be null");
        }
        if (!RELEASE.matcher(version).matches()) {
            throw new IllegalArgumentException("not a Go release version: " + version + " (from " + go + ")");
        }
    }

    /** Parses the output of {@code go version} run from {@code go}, whose real directory is {@code binDir}. */
    public static GoToolchain of(Path go, Path binDir, String goVersionOutput) {
        String line = goVersionOutput.strip();
        String[] fields = line.split("\\s+");
        if (fields.length < 3 || !fields[0].equals("go") || !fields[1].equals("version")) {
            throw new IllegalArgumentException(go + " version printed an unexpected line: " + line);
        }
        return new GoToolchain(go, binDir, fields[2], line);
    }

    /** The minor language version: 26 for go1.26.8, 19 for go1.19.8. */
    public int minor() {
        Matcher m = RELEASE.matcher(version);
        if (!m.matches() || !m.group(1).equals("1")) {
            throw new IllegalStateException("unexpected Go major version: " + version);
        }
        return Integer.parseInt(m.group(2));
    }

    /** True if this toolchain is Go 1.{@code minor} or newer. */
    public boolean atLeast(int minor) {
        return minor() >= minor;
    }

    /** Shown as the display name of a test run with this toolchain. */
    @Override
    public String toString() {
        return version + " (" + go + ")";
    }
}
