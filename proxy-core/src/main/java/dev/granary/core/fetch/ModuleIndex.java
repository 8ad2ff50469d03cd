package dev.granary.core.fetch;

import dev.granary.core.ProxyException;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.module.ModulePath;
import dev.granary.core.module.PseudoVersion;
import dev.granary.core.module.Semver;
import dev.granary.storage.BlobKey;
import dev.granary.storage.BlobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What storage holds of each module: the committed versions (those with an {@code .info}), and the
 * derived {@code <module>/@v/list} of tagged versions that keeps the tree a valid {@code file://} GOPROXY.
 */
public final class ModuleIndex {
    private static final Logger log = LoggerFactory.getLogger(ModuleIndex.class);

    private final BlobStore store;
    /** Rewrites of one module's list are serialized; different modules proceed in parallel. */
    private final Object[] listLocks = new Object[64];

    public ModuleIndex(BlobStore store) {
        this.store = store;
        for (int i = 0; i < listLocks.length; i++) {
            listLocks[i] = new Object();
        }
    }

    /** Versions committed in storage (those with an .info), unsorted. */
    public List<String> storedVersions(ModulePath p) {
        List<String> out = new ArrayList<>();
        BlobKey dir = StorageLayout.versionsDir(p);
        try {
            for (BlobKey k : store.list(dir)) {
                if (StorageLayout.isInfo(k, dir)) {
                    String name = k.name();
                    try {
                        out.add(ModuleEscaping.unescapeVersion(name.substring(0, name.length() - ".info".length())));
                    } catch (ProxyException e) {
                        log.warn("ignoring unexpected file {} in storage", k);
                    }
                }
            }
        } catch (IOException e) {
            throw Failures.storage("listing " + p.value(), e);
        }
        return out;
    }

    /** Rewrites {@code <module>/@v/list} from storage, after a commit. */
    void rewriteList(ModulePath p) throws IOException {
        synchronized (listLocks[Math.floorMod(p.value().hashCode(), listLocks.length)]) {
            store.put(StorageLayout.list(p), listText(storedVersions(p)).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The {@code @v/list} body for a set of versions: tagged ones only, semver-sorted, one per line. */
    static String listText(Collection<String> versions) {
        TreeSet<String> tagged = new TreeSet<>(Semver.ORDER);
        for (String v : versions) {
            if (isTagged(v)) {
                tagged.add(v);
            }
        }
        StringBuilder b = new StringBuilder();
        tagged.forEach(v -> b.append(v).append('\n'));
        return b.toString();
    }

    /** go.dev/ref/mod#goproxy-protocol: {@code @v/list} names tagged versions, not pseudo-versions. */
    static boolean isTagged(String v) {
        return Semver.isValid(v) && !PseudoVersion.isPseudoVersion(v);
    }
}
