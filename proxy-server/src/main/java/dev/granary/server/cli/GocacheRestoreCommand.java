package dev.granary.server.cli;

import dev.granary.core.gocache.BuildOptions;
import dev.granary.core.gocache.BundleException;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleReader;
import dev.granary.core.gocache.GoEnv;
import dev.granary.core.gocache.GoTool;
import dev.granary.core.gocache.KeyInputs;
import dev.granary.core.gocache.Progress;
import dev.granary.core.pgp.Keyring;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SignatureVerifier;
import dev.granary.core.pgp.VerifiedSignature;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code granary gocache restore}: a pre-warm bundle into the local build cache, when it fits. */
@Command(
        name = "restore",
        mixinStandardHelpOptions = true,
        description = {
            "Restore a pre-warm bundle into GOCACHE before go build, vet or test.",
            "SOURCE is a bundle file, a bundle's URL, or a Granary's base URL (then the bundle for --project, this "
                    + "go env and these build flags is looked up by its identity).",
            "The bundle's signature is checked against --keyring; its build inputs are compared with the local go env: "
                    + "on any difference the bundle is skipped with a message (the go command would only miss). "
                    + "Every file is checked against the manifest and every output against its name before it is placed; "
                    + "files get fresh times; go clean -testcache runs after.",
            "Exit status: 0 restored, or skipped (no bundle, other build inputs); 1 refused (signature, damaged bundle) "
                    + "or the go command failed; 2 usage error."
        })
public final class GocacheRestoreCommand implements Callable<Integer> {

    @Parameters(paramLabel = "SOURCE", description = "bundle file, bundle URL, or Granary base URL")
    String source;

    @Option(names = "--gocache", paramLabel = "DIR", description = "the build cache (default: go env GOCACHE)")
    Path gocache;

    @Option(
            names = "--project",
            paramLabel = "DIR",
            description = "the project (go env is read there; default: the current directory)")
    Path project;

    @Option(names = "--go", paramLabel = "PATH", description = "the go command (default: go on PATH)")
    Path go;

    @Option(names = "--trimpath", description = "the builds will use -trimpath")
    boolean trimpath;

    @Option(names = "--race", description = "the builds will use -race")
    boolean race;

    @Option(names = "--tags", paramLabel = "TAGS", split = ",", description = "the builds will use these -tags")
    List<String> tags = List.of();

    @Option(
            names = "--keyring",
            paramLabel = "KEYS",
            description = "trusted public keys: the bundle must carry a good signature by one (repeatable)")
    List<Path> keyrings = List.of();

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description =
                    "a token with the cache-read right, when the Granary's reads need one (auth.required set; first line)")
    Path tokenFile;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = System.getenv();
        Path dir = (project != null ? project : Path.of("")).toAbsolutePath();
        GoTool tool;
        String token;
        Keyring keyring = null;
        try {
            tool = new GoTool(GocacheCommand.goBinary(go, env), env);
            token = GocacheCommand.token(tokenFile);
            if (!keyrings.isEmpty()) {
                keyring = Keyring.load(keyrings);
            }
        } catch (IOException | PgpException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        }
        GoEnv goEnv;
        try {
            goEnv = GoEnv.read(tool, dir);
        } catch (GoTool.GoToolException e) {
            return Cli.fail(err, Cli.REFUSED, e.getMessage());
        }
        KeyInputs here = KeyInputs.of(goEnv, new BuildOptions(trimpath, race, tags));
        Path cache = gocache != null ? gocache.toAbsolutePath() : Path.of(goEnv.get("GOCACHE"));
        if (gocache == null
                && (goEnv.get("GOCACHE").isEmpty() || goEnv.get("GOCACHE").equals("off"))) {
            return Cli.fail(err, Cli.USAGE, "GOCACHE is off or unset here; name the build cache with --gocache");
        }
        if (!goEnv.get("GOCACHEPROG").isEmpty()) {
            err.println("granary: note: GOCACHEPROG is set, so the go command will not read GOCACHE; restoring anyway");
        }

        ProgressBar progress = ProgressBar.on(err);
        Path bundle;
        Path downloaded = null;
        Path signature = null;
        long started = System.nanoTime();
        try {
            if (source.startsWith("http://") || source.startsWith("https://")) {
                URI uri;
                if (source.endsWith(".tar.zst")) {
                    uri = URI.create(source);
                } else {
                    String gosum = BundleManifest.gosumDigest(
                            Files.exists(dir.resolve("go.sum")) ? Files.readString(dir.resolve("go.sum")) : "");
                    uri = BundleUploads.bundleUri(source, here.bundleId(gosum));
                }
                downloaded = Files.createTempFile("granary-bundle-", ".tar.zst");
                boolean found;
                try {
                    found = BundleUploads.download(uri, downloaded, token, progress);
                } catch (BundleUploads.Refused e) {
                    throw e;
                } catch (IOException e) {
                    // The build works without the bundle, only slower: not a reason to fail it.
                    out.println("skipped: cannot download " + uri + ": " + e);
                    out.flush();
                    return Cli.OK;
                }
                if (!found) {
                    out.println("skipped: no bundle at " + uri
                            + " (none was published for this go.sum, toolchain and flags)");
                    out.flush();
                    return Cli.OK;
                }
                bundle = downloaded;
                if (keyring != null) {
                    signature = Files.createTempFile("granary-bundle-", ".asc");
                    if (!BundleUploads.download(URI.create(uri + ".asc"), signature, token, Progress.NONE)) {
                        return Cli.fail(
                                err,
                                Cli.REFUSED,
                                "refused: bundle " + uri + " has no signature, and --keyring asks for one");
                    }
                }
            } else {
                bundle = Path.of(source);
                if (!Files.isRegularFile(bundle)) {
                    return Cli.fail(err, Cli.USAGE, source + " does not exist");
                }
                if (keyring != null) {
                    signature = bundle.resolveSibling(bundle.getFileName() + ".asc");
                    if (!Files.isRegularFile(signature)) {
                        return Cli.fail(
                                err,
                                Cli.REFUSED,
                                "refused: " + signature + " does not exist, and --keyring asks for a signature");
                    }
                }
            }
            if (keyring != null) {
                try {
                    VerifiedSignature v = SignatureVerifier.of(keyring).verifyDetached(bundle, signature);
                    err.println("good signature from " + v.keyFingerprint());
                } catch (PgpException e) {
                    return Cli.fail(err, Cli.REFUSED, "refused: bundle signature: " + e.getMessage());
                }
            } else {
                err.println("granary: note: the bundle's signature is not checked (no --keyring)");
            }
            try (BundleReader r = BundleReader.open(Files.newInputStream(bundle))) {
                BundleManifest m = r.manifest();
                List<String> differences = m.inputs().differences(here);
                if (!differences.isEmpty()) {
                    out.println("skipped: bundle " + m.id()
                            + " was built for other build inputs, so the go command could not use it:");
                    differences.forEach(d -> out.println("  - " + d));
                    out.flush();
                    return Cli.OK;
                }
                BundleReader.Extracted x = r.extract(cache, progress);
                GoTool.Result clean = tool.with("GOCACHE", cache.toString()).run(dir, "clean", "-testcache");
                if (!clean.ok()) {
                    return Cli.fail(
                            err,
                            Cli.REFUSED,
                            "go clean -testcache failed after the restore: "
                                    + clean.stderr().strip());
                }
                out.printf(
                        "restored bundle %s into %s: %d files (%.1f MiB) placed, %d already there, in %.1f s%n",
                        m.id(),
                        cache,
                        x.placed(),
                        x.bytes() / 1048576.0,
                        x.present(),
                        (System.nanoTime() - started) / 1e9);
                out.flush();
                return Cli.OK;
            } catch (BundleException e) {
                return Cli.fail(err, Cli.REFUSED, "refused: " + e.getMessage() + " (nothing was restored)");
            }
        } catch (BundleUploads.Refused e) {
            return Cli.fail(err, Cli.REFUSED, e.getMessage());
        } finally {
            if (downloaded != null) {
                Files.deleteIfExists(downloaded);
                if (signature != null) {
                    Files.deleteIfExists(signature);
                }
            }
        }
    }
}
