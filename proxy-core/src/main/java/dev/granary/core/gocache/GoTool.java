package dev.granary.core.gocache;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Runs a {@code go} binary with an exact environment (nothing inherited beyond what the map holds).
 * The builder of pre-warm bundles and {@code gocache restore} use it; Granary's server never does.
 */
public final class GoTool {

    /** What one run printed and how it ended. */
    public record Result(List<String> command, int exit, String stdout, String stderr) {
        public boolean ok() {
            return exit == 0;
        }

        /** This result when the command succeeded, else a {@link GoToolException} with what it printed. */
        public Result orThrow() throws GoToolException {
            if (exit != 0) {
                String err = stderr.isBlank() ? stdout : stderr;
                throw new GoToolException(
                        String.join(" ", command) + " exited " + exit + (err.isBlank() ? "" : ":\n" + err.strip()));
            }
            return this;
        }
    }

    /** A go command that failed; the message holds its output. */
    public static final class GoToolException extends Exception {
        public GoToolException(String message) {
            super(message);
        }
    }

    private final Path go;
    private final Map<String, String> env;

    /** @param env the whole environment of every run */
    public GoTool(Path go, Map<String, String> env) {
        this.go = go;
        this.env = Map.copyOf(env);
    }

    public Path go() {
        return go;
    }

    public Map<String, String> env() {
        return env;
    }

    /** The same binary with {@code key} set to {@code value} (or removed when value is null). */
    public GoTool with(String key, String value) {
        Map<String, String> m = new HashMap<>(env);
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, value);
        }
        return new GoTool(go, m);
    }

    /** Runs {@code go args...} in {@code dir} and waits for it. */
    public Result run(Path dir, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(go.toString());
        cmd.addAll(args);
        return exec(cmd, dir, env);
    }

    public Result run(Path dir, String... args) throws IOException {
        return run(dir, List.of(args));
    }

    /** Runs any program with this environment (the C compiler's {@code --version}). */
    public Result exec(List<String> cmd, Path dir) throws IOException {
        return exec(cmd, dir, env);
    }

    private static Result exec(List<String> cmd, Path dir, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        String out = drain(p.getInputStream());
        try {
            int exit = p.waitFor();
            return new Result(List.copyOf(cmd), exit, out, err.get());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + cmd.get(0), e);
        } catch (ExecutionException e) {
            throw new IOException("reading the output of " + cmd.get(0) + ": " + e.getCause(), e.getCause());
        }
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
