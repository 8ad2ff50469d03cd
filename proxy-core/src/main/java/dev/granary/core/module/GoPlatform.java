package dev.granary.core.module;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A GOOS/GOARCH pair, written {@code linux/amd64} on command lines and {@code linux-amd64} in release
 * and toolchain names.
 */
public record GoPlatform(String goos, String goarch) {
    private static final Pattern WORD = Pattern.compile("[a-z0-9]+");

    public GoPlatform {
        if (!WORD.matcher(goos).matches() || !WORD.matcher(goarch).matches()) {
            throw new IllegalArgumentException("not a GOOS/GOARCH pair: " + goos + "/" + goarch);
        }
    }

    /** The platform every go command asks about when it checks that a toolchain exists (cmd/go/internal/modfetch/toolchain.go). */
    public static final GoPlatform LINUX_AMD64 = new GoPlatform("linux", "amd64");

    /** Parses {@code linux/amd64} (or {@code linux-amd64}). */
    public static GoPlatform parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        int i = t.indexOf('/') >= 0 ? t.indexOf('/') : t.indexOf('-');
        if (i <= 0 || i == t.length() - 1) {
            throw new IllegalArgumentException("expected GOOS/GOARCH such as linux/amd64, got '" + s + "'");
        }
        return new GoPlatform(t.substring(0, i), t.substring(i + 1));
    }

    /** {@code linux-amd64}: how release archives and toolchain versions name it. */
    public String dashed() {
        return goos + "-" + goarch;
    }

    @Override
    public String toString() {
        return goos + "/" + goarch;
    }
}
