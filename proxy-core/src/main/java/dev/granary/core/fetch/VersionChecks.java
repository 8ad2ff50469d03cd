package dev.granary.core.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.module.Semver;
import dev.granary.core.verify.ExpectedSums;
import dev.granary.core.verify.RefusedException;
import dev.granary.core.zip.Dirhash;
import dev.granary.core.zip.ModuleZips;
import dev.granary.core.zip.ZipCheck;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The checks a version's files pass before anything is committed, shared by the fetch pipeline and
 * snapshot import: the {@code .info} names the version; the {@code .mod}'s h1 equals the authoritative
 * go.mod line; the zip obeys the module zip rules, carries the same go.mod, and its h1 equals the
 * authoritative zip line. Refusals are {@link RefusedException}s whose message names module, version
 * and both hashes.
 */
public final class VersionChecks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private VersionChecks() {}

    /** The {@code Version} field of an {@code .info} answer. */
    public static String infoVersion(byte[] info, String what) {
        try {
            JsonNode n = JSON.readTree(info);
            JsonNode v = n == null ? null : n.get("Version");
            if (v == null || !v.isTextual() || !Semver.isValid(v.asText())) {
                throw new ProxyException(
                        Kind.UPSTREAM_FAILED, what + ": upstream answered an .info without a valid Version");
            }
            return v.asText();
        } catch (IOException e) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, what + ": upstream answered malformed JSON", e);
        }
    }

    /** Checks an {@code .info} for {@code mv}: valid JSON naming exactly this version. */
    public static void checkInfo(ModuleVersion mv, byte[] info) {
        String v = infoVersion(info, mv + ".info");
        if (!v.equals(mv.version())) {
            throw new ProxyException(Kind.UPSTREAM_FAILED, mv + ": upstream .info names version " + v);
        }
    }

    /**
     * Hashes the {@code .mod} and compares it with the expected go.mod line, when there is one.
     *
     * @return the go.mod h1
     */
    public static String checkMod(ModuleVersion mv, byte[] mod, Optional<ExpectedSums> expected) {
        String modH1 = Dirhash.hashGoMod(mod);
        if (expected.isPresent()
                && expected.get().sums().modH1() != null
                && !expected.get().sums().modH1().equals(modH1)) {
            throw mismatch(expected.get(), GoSum.of(mv, null, modH1), true);
        }
        return modH1;
    }

    /**
     * Checks the zip (module zip rules, go.mod equal to {@code mod}, h1 against the expected zip line).
     *
     * @return both hashes, as committed to {@code .sum}
     */
    public static GoSum checkZip(ModuleVersion mv, Path zip, byte[] mod, String modH1, Optional<ExpectedSums> expected)
            throws IOException {
        ZipCheck check;
        try {
            check = ModuleZips.check(zip, mv);
        } catch (RefusedException e) {
            throw e;
        } catch (ProxyException e) {
            if (e.kind() != Kind.VERIFICATION_FAILED) {
                throw e;
            }
            throw new RefusedException("zip-rules", e.getMessage());
        }
        if (check.goMod().isPresent() && !Arrays.equals(check.goMod().get(), mod)) {
            throw new RefusedException(
                    "go-mod-mismatch", mv + ": the .mod file differs from the go.mod inside the zip");
        }
        GoSum actual = GoSum.of(mv, check.h1(), modH1);
        if (expected.isPresent()) {
            GoSum want = expected.get().sums();
            if (want.zipH1() == null && !expected.get().pinned()) {
                throw new RefusedException(
                        "checksum-mismatch",
                        "verifying " + mv + ": checksum database "
                                + expected.get().authority() + " lists no zip hash for this version");
            }
            if (want.zipH1() != null && !want.zipH1().equals(check.h1())) {
                throw mismatch(expected.get(), actual, false);
            }
        }
        return actual;
    }

    private static RefusedException mismatch(ExpectedSums expected, GoSum actual, boolean goMod) {
        ModuleVersion mv = actual.version();
        if (expected.pinned()) {
            return new RefusedException(
                    "pin-mismatch",
                    "verifying " + mv
                            + ": private module changed since it was first fetched (a retagged version?)\n"
                            + "\tfirst fetch:\n" + indent(expected.sums().text())
                            + "\tthis fetch:\n" + indent(actual.text())
                            + "SECURITY ERROR: refusing the new content; nothing was cached.");
        }
        return new RefusedException(
                "checksum-mismatch",
                "verifying " + mv + (goMod ? "/go.mod" : "") + ": checksum mismatch\n"
                        + "\tupstream:   " + (goMod ? actual.modH1() : actual.zipH1()) + "\n"
                        + "\t" + expected.authority() + ": "
                        + (goMod ? expected.sums().modH1() : expected.sums().zipH1()) + "\n"
                        + "SECURITY ERROR: the upstream served content that differs from the checksum database; nothing was cached.");
    }

    private static String indent(String lines) {
        StringBuilder b = new StringBuilder();
        for (String l : lines.split("\n")) {
            b.append("\t\t").append(l).append('\n');
        }
        return b.toString();
    }
}
