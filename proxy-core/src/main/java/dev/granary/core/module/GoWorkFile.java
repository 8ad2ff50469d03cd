package dev.granary.core.module;

import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a go.work file (go.dev/ref/mod#go-work-file) that decide the workspace's module graph:
 * {@code go}, {@code use} (module directories) and {@code replace}. Other directives are skipped.
 *
 * @param go      the go directive's version, or null
 * @param use     the module directories, as written (relative to the go.work file's directory)
 * @param replace replacements, which override the modules' own
 */
public record GoWorkFile(String go, List<String> use, List<GoModFile.Replace> replace) {

    public GoWorkFile {
        use = List.copyOf(use);
        replace = List.copyOf(replace);
    }

    /** Parses a go.work file; errors are INVALID naming the file and line. */
    public static GoWorkFile parse(String name, byte[] data) {
        String go = null;
        List<String> use = new ArrayList<>();
        List<GoModFile.Replace> replace = new ArrayList<>();
        for (GoModFile.Directive d : GoModFile.directives(name, data)) {
            switch (d.verb()) {
                case "go" -> go = d.need(1, 1).get(0);
                case "use" -> use.add(d.need(1, 1).get(0));
                case "replace" -> replace.add(d.replace());
                default -> {
                    // toolchain, godebug: no part in loading the graph.
                }
            }
        }
        return new GoWorkFile(go, use, replace);
    }
}
