package dev.granary.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A git work tree driven by the real {@code git} command with a hermetic environment and deterministic
 * commit times (each commit one hour after the previous one), for building test repositories.
 */
public final class GitRepo {
    private final Path dir;
    private long clock = 1_700_000_000L;

    private GitRepo(Path dir) {
        this.dir = dir;
    }

    /** A new repository with branch {@code main}. */
    public static GitRepo init(Path dir) throws IOException {
        Files.createDirectories(dir);
        GitRepo r = new GitRepo(dir);
        r.git("init", "-q", "-b", "main");
        return r;
    }

    public Path dir() {
        return dir;
    }

    /** Writes a file (creating directories). */
    public GitRepo write(String path, String content) throws IOException {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return this;
    }

    public GitRepo executable(String path, String content) throws IOException {
        write(path, content);
        Files.setPosixFilePermissions(dir.resolve(path), PosixFilePermissions.fromString("rwxr-xr-x"));
        return this;
    }

    public GitRepo symlink(String path, String target) throws IOException {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.createSymbolicLink(p, Path.of(target));
        return this;
    }

    /** Stages everything and commits; returns the commit hash. */
    public String commit(String message) throws IOException {
        git("add", "-A");
        clock += 3600;
        git("commit", "-q", "--allow-empty", "-m", message);
        return git("rev-parse", "HEAD").strip();
    }

    public GitRepo tag(String name) throws IOException {
        git("tag", name);
        return this;
    }

    public GitRepo annotatedTag(String name) throws IOException {
        git("tag", "-a", "-m", "release " + name, name);
        return this;
    }

    /** Runs git in the work tree; fails on a non-zero exit. */
    public String git(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", dir.toString());
        env.put("GIT_CONFIG_NOSYSTEM", "1");
        env.put("GIT_AUTHOR_NAME", "Granary Test");
        env.put("GIT_AUTHOR_EMAIL", "test@granary.invalid");
        env.put("GIT_COMMITTER_NAME", "Granary Test");
        env.put("GIT_COMMITTER_EMAIL", "test@granary.invalid");
        String date = "@" + clock + " +0000";
        env.put("GIT_AUTHOR_DATE", date);
        env.put("GIT_COMMITTER_DATE", date);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(
                        "git " + String.join(" ", args) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
