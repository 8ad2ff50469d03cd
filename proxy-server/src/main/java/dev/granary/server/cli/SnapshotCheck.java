package dev.granary.server.cli;

import dev.granary.core.pgp.Keyring;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.snapshot.Progress;
import dev.granary.core.snapshot.SnapshotException;
import dev.granary.core.snapshot.SnapshotReader;
import dev.granary.core.snapshot.SnapshotVerifier;
import dev.granary.core.snapshot.StagedSnapshot;
import dev.granary.core.snapshot.VerifiedSnapshot;
import dev.granary.core.toolchain.Toolchains;
import dev.granary.server.Services;
import dev.granary.server.config.ConfigKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options and steps import and verify share: read the snapshot into a staging directory, then check all of it. */
final class SnapshotCheck {

    @Parameters(paramLabel = "FILE", description = "the snapshot file")
    Path file;

    @Option(
            names = "--keyring",
            paramLabel = "KEYS",
            description = "trusted public keys, as gpg --export [--armor] writes them (repeatable)")
    List<Path> keyrings = new ArrayList<>();

    @Option(
            names = "--allow-unsigned",
            description =
                    "do NOT check the signature (checksum-database proofs are still checked; private modules are then refused)")
    boolean allowUnsigned;

    @Option(
            names = "--temp-dir",
            paramLabel = "DIR",
            description =
                    "where the snapshot is unpacked while it is checked (default: the storage directory for import, the system's for verify)")
    Path tempDir;

    @Option(
            names = {"-q", "--quiet"},
            description = "no progress report")
    boolean quiet;

    /** A usage problem found before anything is read: the message, or null. */
    String usageProblem() {
        if (!Files.isRegularFile(file)) {
            return file + " does not exist";
        }
        for (Path p : keyrings) {
            if (!Files.isRegularFile(p)) {
                return "keyring " + p + " does not exist";
            }
        }
        if (keyrings.isEmpty() && !allowUnsigned) {
            return "give --keyring with the keys trusted to sign snapshots (or --allow-unsigned to skip the signature check)";
        }
        return null;
    }

    /** Says loudly what --allow-unsigned skips. */
    void warnUnsigned(PrintWriter err) {
        if (allowUnsigned) {
            err.println(
                    "granary: WARNING: --allow-unsigned: the snapshot's signature is NOT checked, so nothing shows who made it."
                            + " Every public module is still proven by the checksum database; private modules (which only a signature"
                            + " could vouch for) are refused.");
            err.flush();
        }
    }

    Keyring keyring() throws SnapshotException {
        if (allowUnsigned || keyrings.isEmpty()) {
            return null;
        }
        try {
            return Keyring.load(keyrings);
        } catch (PgpException | IOException e) {
            throw new SnapshotException("cannot use keyring: " + e.getMessage());
        }
    }

    /** Reads, stages and verifies the snapshot; the caller closes the staged snapshot. */
    Checked check(Services services, Path defaultTemp) throws SnapshotException, IOException {
        Progress.Factory progress = SnapshotCli.progress(quiet);
        Keyring keyring = keyring();
        long size = Files.size(file);
        StagedSnapshot staged;
        try (Progress p = progress.start("reading", size, 0)) {
            staged = SnapshotReader.stage(
                    file,
                    tempDir != null ? tempDir : defaultTemp,
                    SnapshotReader.Limits.of(
                            services.fetchSettings().maxZipBytes(),
                            services.config().bytes(ConfigKey.DL_MAX_ARCHIVE_BYTES),
                            services.config().bytes(ConfigKey.GOCACHE_MAX_BUNDLE_BYTES)),
                    p::bytesDone);
        }
        try {
            VerifiedSnapshot v;
            try (Progress p = progress.start("verifying", 0, staged.members().size())) {
                String key = services.sumdbSpecs().isEmpty()
                        ? null
                        : services.sumdbSpecs().get(0).verifierKey();
                v = SnapshotVerifier.verify(
                        staged,
                        new SnapshotVerifier.Trust(
                                keyring,
                                allowUnsigned,
                                key,
                                services.noSumdb(),
                                services.dl().trust()),
                        services.store(),
                        p);
            }
            return new Checked(staged, v);
        } catch (SnapshotException | IOException | RuntimeException e) {
            staged.close();
            throw e;
        }
    }

    /** A staged, verified snapshot. */
    record Checked(StagedSnapshot staged, VerifiedSnapshot verified) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            staged.close();
        }
    }

    static void describe(PrintWriter out, VerifiedSnapshot v) {
        out.println("  created " + v.manifest().created() + " by Granary "
                + v.manifest().granaryVersion()
                + (v.manifest().previous() == null
                        ? ""
                        : ", follows snapshot " + v.manifest().previous()));
        out.println("  " + v.signer().map(s -> "signed by " + s).orElse("signature NOT checked (--allow-unsigned)"));
        out.println("  versions: " + v.versions().size() + " ("
                + v.versions().stream().filter(x -> x.zip() != null).count() + " with zips, "
                + v.versions().stream().filter(x -> !x.proven()).count() + " private)");
        v.sumdb()
                .ifPresent(s -> out.println(
                        "  checksum database " + s.db() + ": tree#" + s.tree().n() + ", every record proven"
                                + (s.heldBefore().isPresent()
                                        ? "; consistent with tree#" + s.heldBeforeSize() + " held here"
                                        : "")));
        long toolchains = v.versions().stream()
                .filter(x -> x.version().path().equals(Toolchains.MODULE))
                .count();
        if (toolchains > 0 || !v.toolchainInfos().isEmpty()) {
            out.println("  toolchains: " + toolchains + " module version(s), "
                    + v.toolchainInfos().size() + " existence record(s), proven");
        }
        if (!v.releases().archives().isEmpty()) {
            out.println("  release archives: " + v.releases().archives().size() + ", SHA-256 as listed, signed by "
                    + String.join(", ", v.releases().signers()));
        }
        if (!v.bundles().isEmpty()) {
            out.println("  pre-warm bundles: " + v.bundles().size() + ", every file checked");
        }
    }
}
