package dev.granary.server.cli;

import dev.granary.core.gocache.BuildOptions;
import dev.granary.core.gocache.BundleManifest;
import dev.granary.core.gocache.BundleProducer;
import dev.granary.core.gocache.BundleWriter;
import dev.granary.core.gocache.GoTool;
import dev.granary.core.pgp.PgpException;
import dev.granary.core.pgp.SigningKey;
import dev.granary.server.Main;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code granary gocache build}: a pre-warm bundle of one project's compiled dependencies. */
@Command(
        name = "build",
        mixinStandardHelpOptions = true,
        description = {
            "Compile a project's dependencies in an empty build cache with the real go command and pack the entries "
                    + "into a pre-warm bundle (zstd-compressed tar with a manifest of the build inputs and every file's SHA-256).",
            "Modules come through --proxy (default: the GOPROXY of the environment). The environment's GOFLAGS, GOOS, GOARCH, "
                    + "CGO_ENABLED, CC, GOMODCACHE ... are the bundle's: build it where (or as) CI builds.",
            "Exit status: 0 built; 1 the go command failed, or publishing was refused; 2 usage error."
        })
public final class GocacheBuildCommand implements Callable<Integer> {

    static final class Source {
        @Option(
                names = "--project",
                paramLabel = "DIR",
                required = true,
                description = "the project (a module directory with go.mod)")
        Path project;

        @ArgGroup(exclusive = false)
        FileSource files;

        static final class FileSource {
            @Option(
                    names = "--gomod",
                    paramLabel = "FILE",
                    required = true,
                    description = "the project's go.mod (without sources)")
            Path gomod;

            @Option(names = "--gosum", paramLabel = "FILE", description = "the project's go.sum")
            Path gosum;
        }
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            required = true,
            description = "where to write the bundle (.tar.zst)")
    Path output;

    @Option(names = "--proxy", paramLabel = "URL", description = "GOPROXY for the build (e.g. this Granary)")
    String proxy;

    @Option(names = "--go", paramLabel = "PATH", description = "the go command (default: go on PATH)")
    Path go;

    @Option(names = "--trimpath", description = "for builds with -trimpath (entries then do not depend on any path)")
    boolean trimpath;

    @Option(names = "--race", description = "for builds with -race")
    boolean race;

    @Option(names = "--tags", paramLabel = "TAGS", split = ",", description = "for builds with these -tags")
    List<String> tags = List.of();

    @Option(names = "--goos", paramLabel = "OS", description = "target GOOS")
    String goos;

    @Option(names = "--goarch", paramLabel = "ARCH", description = "target GOARCH")
    String goarch;

    @Option(
            names = "--name",
            paramLabel = "NAME",
            description = "label in the index (default: the project's module path)")
    String name;

    @Option(
            names = "--sign-key",
            paramLabel = "SECRET",
            description = "sign the bundle (FILE.asc) with this OpenPGP secret key")
    Path signKey;

    @ArgGroup(exclusive = true)
    PassphraseOptions passphrase;

    @Option(
            names = "--publish",
            paramLabel = "URL",
            description = "publish the bundle to this Granary (PUT /gocache/bundles/<id>.tar.zst)")
    String publish;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description = "a token with the cache-write right, for --publish (first line)")
    Path tokenFile;

    @Option(
            names = "--keep-work",
            description = "keep the work directory (synthetic module and build cache) for inspection")
    boolean keepWork;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = new HashMap<>(System.getenv());
        SigningKey key = null;
        String token;
        Path goBinary;
        try {
            goBinary = GocacheCommand.goBinary(go, env);
            token = GocacheCommand.token(tokenFile);
            if (signKey != null) {
                char[] pass = PassphraseOptions.read(passphrase, env);
                try {
                    key = SigningKey.load(signKey, pass);
                } finally {
                    PassphraseOptions.wipe(pass);
                }
            }
        } catch (PassphraseOptions.Unusable | IOException e) {
            return Cli.fail(err, Cli.USAGE, e.getMessage());
        } catch (PgpException e) {
            return Cli.fail(err, Cli.REFUSED, e.getMessage());
        }
        if (proxy != null) {
            env.put("GOPROXY", proxy);
        }
        if (goos != null) {
            env.put("GOOS", goos);
        }
        if (goarch != null) {
            env.put("GOARCH", goarch);
        }
        BuildOptions options = new BuildOptions(trimpath, race, tags);
        BundleProducer.Source src = source.project != null
                ? BundleProducer.Source.project(source.project)
                : BundleProducer.Source.files(source.files.gomod, source.files.gosum);
        ProgressBar progress = ProgressBar.on(err);
        long started = System.nanoTime();
        Path work = Files.createTempDirectory("granary-gocache-build-");
        try {
            BundleProducer.Produced p;
            try {
                p = new BundleProducer(new GoTool(goBinary, env), options, progress).produce(src, work);
            } catch (GoTool.GoToolException e) {
                return Cli.fail(err, Cli.REFUSED, e.getMessage());
            }
            List<BundleManifest.FileEntry> files = BundleWriter.scan(p.gocache(), progress);
            long cacheBytes = size(p.gocache());
            Path tmp = output.toAbsolutePath().resolveSibling("." + output.getFileName() + ".tmp");
            BundleManifest m;
            try (OutputStream o = Files.newOutputStream(tmp)) {
                m = BundleWriter.write(
                        p.gocache(),
                        files,
                        new BundleWriter.Draft(
                                name != null ? name : p.name(),
                                p.inputs(),
                                p.gosum(),
                                p.modules(),
                                p.packages().size(),
                                "granary " + version()),
                        o,
                        progress);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path signature = null;
            if (key != null) {
                signature = output.resolveSibling(output.getFileName() + ".asc");
                try (InputStream in = Files.newInputStream(output)) {
                    Cli.writeAtomically(signature, key.sign(in).getBytes(StandardCharsets.US_ASCII));
                }
            }
            out.printf("bundle %s: %s%n", m.id(), output);
            out.printf(
                    "  for %s %s/%s%s%s%s, %d packages from %d modules%n",
                    m.inputs().goVersion(),
                    m.inputs().goos(),
                    m.inputs().goarch(),
                    m.inputs().trimpath()
                            ? ", -trimpath"
                            : ", GOMODCACHE " + m.inputs().gomodcache(),
                    m.inputs().race() ? ", -race" : "",
                    m.inputs().tags().isEmpty()
                            ? ""
                            : ", -tags " + String.join(",", m.inputs().tags()),
                    p.packages().size(),
                    p.modules().size());
            out.printf(
                    "  %d files, %.1f MiB in the build cache, %.1f MiB compressed, in %.1f s%n",
                    files.size(),
                    cacheBytes / 1048576.0,
                    Files.size(output) / 1048576.0,
                    (System.nanoTime() - started) / 1e9);
            if (signature != null) {
                out.printf("  signed by %s: %s%n", key.keyFingerprint(), signature);
            }
            out.flush();
            if (publish != null) {
                try {
                    out.print(BundleUploads.publish(publish, m.id(), output, signature, token, progress));
                    out.flush();
                } catch (BundleUploads.Refused e) {
                    return Cli.fail(err, Cli.REFUSED, "publishing refused: " + e.getMessage());
                } catch (IOException e) {
                    return Cli.fail(err, Cli.REFUSED, "cannot publish to " + publish + ": " + e);
                }
            }
            return Cli.OK;
        } finally {
            if (keepWork) {
                err.println("work directory kept: " + work);
            } else {
                deleteTree(work);
            }
        }
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
    }

    /** Removes a tree the go command wrote (its module cache is read-only; this build's is not there). */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(p -> p.toFile().setWritable(true));
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
