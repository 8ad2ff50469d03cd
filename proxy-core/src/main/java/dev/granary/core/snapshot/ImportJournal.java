package dev.granary.core.snapshot;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.gocache.BundleStore;
import java.io.IOException;
import java.util.List;

/**
 * {@code snapshots/<id>/journal}: an import between its first write and its last, so that a crash
 * at any point is undone or finished by the next start. Journals written before toolchain records,
 * release archives and bundles could be imported lack those fields and read as having none.
 *
 * @param id             the snapshot
 * @param state          {@link #STAGING} while the files that make nothing visible are written (a crash
 *                       then means: delete {@code created}); {@link #PUBLISHING} once they all are (a crash
 *                       then means: publish again, every step is idempotent)
 * @param created        keys the staging writes create (none of them existed before)
 * @param publish        the versions to publish: their {@code .info}, the marker written last
 * @param db             the checksum database whose head moves, or null
 * @param latest         the signed tree head to move to, or null
 * @param heldBefore     the head stored when the snapshot was verified, or null (none)
 * @param manifest       the snapshot's MANIFEST.json, written last: the import's own marker
 * @param toolchainInfos toolchain existence records to write ({@code toolchains/<v>.info})
 * @param releases       release archives to commit: their {@code .sha256}, the commit marker
 * @param listing        release listing entries to merge into the stored listing, or null
 * @param bundles        pre-warm bundles to publish
 * @param bundleIndex    index entries to add (or replace, by identity)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ImportJournal(
        String id,
        String state,
        List<String> created,
        List<Publish> publish,
        String db,
        byte[] latest,
        byte[] heldBefore,
        byte[] manifest,
        List<ToolchainInfo> toolchainInfos,
        List<Release> releases,
        byte[] listing,
        List<Bundle> bundles,
        List<BundleStore.IndexEntry> bundleIndex) {
    static final String STAGING = "staging";
    static final String PUBLISHING = "publishing";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A version to publish: its {@code .sum} (rewritten when a zip completes a go.mod-only version) and {@code .info}. */
    record Publish(String path, String version, byte[] sum, byte[] info) {}

    /** A toolchain version's existence record. */
    record ToolchainInfo(String version, byte[] info) {}

    /** A release archive whose archive and signature are staged: its SHA-256, written last. */
    record Release(String filename, String sha256) {}

    /**
     * A pre-warm bundle: {@code staged} when it replaces a different bundle of the same identity (it waits
     * under {@code snapshots/<id>/staged/} until publishing); {@code signed} when its signature comes with
     * it (else a replaced bundle's old signature is removed, as a publish removes it).
     */
    record Bundle(String id, boolean staged, boolean signed) {}

    ImportJournal {
        created = created == null ? List.of() : List.copyOf(created);
        publish = publish == null ? List.of() : List.copyOf(publish);
        toolchainInfos = toolchainInfos == null ? List.of() : List.copyOf(toolchainInfos);
        releases = releases == null ? List.of() : List.copyOf(releases);
        bundles = bundles == null ? List.of() : List.copyOf(bundles);
        bundleIndex = bundleIndex == null ? List.of() : List.copyOf(bundleIndex);
    }

    ImportJournal publishing() {
        return new ImportJournal(
                id,
                PUBLISHING,
                created,
                publish,
                db,
                latest,
                heldBefore,
                manifest,
                toolchainInfos,
                releases,
                listing,
                bundles,
                bundleIndex);
    }

    byte[] toJson() throws IOException {
        return JSON.writeValueAsBytes(this);
    }

    static ImportJournal parse(byte[] bytes) throws IOException {
        return JSON.readValue(bytes, ImportJournal.class);
    }
}
