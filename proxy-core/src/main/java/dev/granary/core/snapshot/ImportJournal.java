package dev.granary.core.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;

/**
 * {@code snapshots/<id>/journal}: an import between its first write and its last, so that a crash
 * at any point is undone or finished by the next start.
 *
 * @param id         the snapshot
 * @param state      {@link #STAGING} while the files that make nothing visible are written (a crash
 *                   then means: delete {@code created}); {@link #PUBLISHING} once they all are (a crash
 *                   then means: publish again, every step is idempotent)
 * @param created    keys the staging writes create (none of them existed before)
 * @param publish    the versions to publish: their {@code .info}, the marker written last
 * @param db         the checksum database whose head moves, or null
 * @param latest     the signed tree head to move to, or null
 * @param heldBefore the head stored when the snapshot was verified, or null (none)
 * @param manifest   the snapshot's MANIFEST.json, written last: the import's own marker
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ImportJournal(String id, String state, List<String> created, List<Publish> publish, String db, byte[] latest,
                     byte[] heldBefore, byte[] manifest) {
    static final String STAGING = "staging";
    static final String PUBLISHING = "publishing";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A version to publish: its {@code .sum} (rewritten when a zip completes a go.mod-only version) and {@code .info}. */
    record Publish(String path, String version, byte[] sum, byte[] info) {
    }

    ImportJournal {
        created = created == null ? List.of() : List.copyOf(created);
        publish = publish == null ? List.of() : List.copyOf(publish);
    }

    ImportJournal publishing() {
        return new ImportJournal(id, PUBLISHING, created, publish, db, latest, heldBefore, manifest);
    }

    byte[] toJson() throws IOException {
        return JSON.writeValueAsBytes(this);
    }

    static ImportJournal parse(byte[] bytes) throws IOException {
        return JSON.readValue(bytes, ImportJournal.class);
    }
}
