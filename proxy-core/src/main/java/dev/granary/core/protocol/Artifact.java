package dev.granary.core.protocol;

import dev.granary.storage.Blob;
import java.io.Closeable;
import java.io.IOException;

/**
 * What the service answers for a request: the content, an entity tag, and whether the content is
 * immutable (a committed version's .info/.mod/.zip) or may change (list, @latest, a query).
 * Closing it closes the blob.
 */
public record Artifact(Blob blob, String etag, boolean immutable) implements Closeable {

    public static Artifact mutable(byte[] bytes) {
        return new Artifact(Blob.ofBytes(bytes), Etags.of(bytes), false);
    }

    public static Artifact immutable(byte[] bytes) {
        return new Artifact(Blob.ofBytes(bytes), Etags.of(bytes), true);
    }

    @Override
    public void close() throws IOException {
        blob.close();
    }
}
