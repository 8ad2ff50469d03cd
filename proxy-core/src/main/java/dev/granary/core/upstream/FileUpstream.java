package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GOPROXY tree on a local file system, as in {@code GOPROXY=file:///srv/mirror}: an air-gapped
 * mirror directory, an unpacked snapshot, or another Granary's disk tier.
 *
 * <p>Failure messages name the request path, not the tree's location (the log does); a failure to
 * write a download's target is a storage fault ({@link TargetFile}), not this upstream's.
 */
public final class FileUpstream implements Upstream {
    private static final Logger log = LoggerFactory.getLogger(FileUpstream.class);

    private final Path root;

    public FileUpstream(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    /** Parses a {@code file://} URL. */
    public static FileUpstream of(URI uri) {
        if (!"file".equals(uri.getScheme())) {
            throw new IllegalArgumentException("not a file URL: " + Texts.redact(uri));
        }
        return new FileUpstream(Path.of(uri));
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        Path file = resolve(path);
        try {
            long size = Files.size(file);
            if (size > maxBytes) {
                throw Limits.tooLarge("upstream file for " + path, maxBytes);
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw ProxyException.notFound("not found: " + path);
        } catch (IOException e) {
            if (Files.isDirectory(file)) {
                throw ProxyException.notFound("not found: " + path);
            }
            throw readFailure(path, e);
        }
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        Path file = resolve(path);
        InputStream in;
        try {
            if (Files.isDirectory(file)) {
                throw ProxyException.notFound("not found: " + path);
            }
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw ProxyException.notFound("not found: " + path);
        } catch (IOException e) {
            throw readFailure(path, e);
        }
        // The source is open before the target is touched, so a missing target directory is never "not found".
        try (in;
                TargetFile out = TargetFile.open(target)) {
            return Limits.copy(in, out, maxBytes, "upstream file for " + path);
        } catch (IOException e) {
            // Only the source throws IOException here: TargetFile reports its failures as storage faults.
            throw readFailure(path, e);
        }
    }

    private ProxyException readFailure(String path, IOException e) {
        log.warn("upstream {}: reading {}: {}", describe(), path, e.toString());
        String reason = Texts.reason(Texts.ioReason(e), List.of(), List.of(root.toString()));
        return new ProxyException(Kind.UPSTREAM_FAILED, "upstream read failed for " + path + ": " + reason, e);
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
