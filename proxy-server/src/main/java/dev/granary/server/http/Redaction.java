package dev.granary.server.http;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Removes from texts that reach clients what only operators may see: the storage root's path (as
 * configured, absolute and real) and temporary-file names, which exception messages from storage and
 * downloads carry.
 */
public final class Redaction {
    /** Temporary files of the stores and the fetch pipeline, in the storage root ({@code .tmp-...}). */
    private static final Pattern TEMP_FILE = Pattern.compile("\\.tmp-[^\\s/:'\"]*");

    private final List<String> paths;

    private Redaction(List<String> paths) {
        this.paths = paths;
    }

    /** Redacts the given directories (and everything under them). */
    public static Redaction of(Path... roots) {
        Set<String> forms = new LinkedHashSet<>();
        for (Path root : roots) {
            forms.add(root.toString());
            forms.add(root.toAbsolutePath().normalize().toString());
            try {
                forms.add(root.toRealPath().toString());
            } catch (IOException e) {
                // not there (yet): its other forms are enough
            }
        }
        forms.removeIf(s -> s.isEmpty() || s.equals("/"));
        List<String> sorted = new ArrayList<>(forms);
        // Longest first, so a path is replaced whole rather than by a shorter form's prefix.
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        return new Redaction(List.copyOf(sorted));
    }

    /** Nothing to redact (tests of the edge alone). */
    public static Redaction none() {
        return new Redaction(List.of());
    }

    public String apply(String text) {
        if (text == null) {
            return "";
        }
        String out = text;
        for (String p : paths) {
            out = out.replace(p, "<storage>");
        }
        return TEMP_FILE.matcher(out).replaceAll("<temporary file>");
    }
}
