package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A GOPROXY tree on a local file system, as in {@code GOPROXY=file:///srv/mirror}: an air-gapped
 * mirror directory, an unpacked snapshot, or another Granary's disk tier.
 */
public final class FileUpstream implements Upstream {
    private final Path root;

    public FileUpstream(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** Parses a {@code file://} URL. */
    public static FileUpstream of(URI uri) {
        if (!"file".equals(uri.getScheme())) {
            throw new IllegalArgumentException("not a file URL: " + uri);
        }
        return new FileUpstream(Path.of(uri));
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        Path file = resolve(path);
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw new ProxyException(Kind.UPSTREAM_FAILED, describe() + ": " + path + " is larger than " + maxBytes + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw ProxyException.notFound("not found: " + path);
        } catch (IOException e) {
            if (Files.isDirectory(file)) {
                throw ProxyException.notFound("not found: " + path);
            }
            throw new ProxyException(Kind.UPSTREAM_FAILED, describe() + ": reading " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        Path file = resolve(path);
        try (InputStream in = Files.newInputStream(file);
             OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            return Limits.copy(in, out, maxBytes, describe() + ": " + path);
        } catch (NoSuchFileException e) {
            throw ProxyException.notFound("not found: " + path);
        } catch (IOException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, describe() + ": reading " + path + ": " + e.getMessage(), e);
        }
    }

    private Path resolve(String path) {
        // Paths reaching here were validated by the request parser; refuse anything that escapes anyway.
        Path file = root.resolve(path).normalize();
        if (!file.startsWith(root) || path.contains("\\") || path.startsWith("/")) {
            throw ProxyException.invalid("invalid upstream path: " + path);
        }
        return file;
    }

    @Override
    public String describe() {
        return root.toUri().toString();
    }
}
