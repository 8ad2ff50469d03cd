package dev.granary.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tests keep what outlives one test but belongs to the build: the module's {@code target}
 * directory (Maven passes it as {@code granary.test.builddir}; elsewhere {@code target} under the
 * working directory). Nothing goes to {@code /tmp}, so {@code mvn clean} removes it all.
 */
public final class BuildDir {
    /** The system property the poms set to {@code ${project.build.directory}}. */
    public static final String PROPERTY = "granary.test.builddir";

    private BuildDir() {}

    /** The build directory itself, absolute. */
    public static Path root() {
        String dir = System.getProperty(PROPERTY);
        return (dir == null || dir.isBlank() ? Path.of("target") : Path.of(dir)).toAbsolutePath();
    }

    /** {@code name} under the build directory, created as a directory if missing. */
    public static Path dir(String name) throws IOException {
        return Files.createDirectories(root().resolve(name));
    }
}
