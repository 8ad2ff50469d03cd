package dev.granary.core.git;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleEscaping;
import dev.granary.core.upstream.Upstream;
import java.nio.file.Path;

/**
 * Sends module paths matched by the git routes to {@link GitUpstream} and everything else to the proxy
 * chain. A private module path never reaches the proxies: not even its probes ({@code a/b/c}, {@code a/b})
 * or its not-found answers fall through to them.
 */
public final class RoutedUpstream implements Upstream {
    private final GitUpstream git;
    private final Upstream proxies;

    public RoutedUpstream(GitUpstream git, Upstream proxies) {
        this.git = git;
        this.proxies = proxies;
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        return isGit(path) ? git.fetch(path, maxBytes) : proxies.fetch(path, maxBytes);
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        return isGit(path) ? git.download(path, target, maxBytes) : proxies.download(path, target, maxBytes);
    }

    private boolean isGit(String path) {
        if (path.startsWith("sumdb/")) {
            return false;
        }
        int at = path.indexOf("/@");
        if (at <= 0) {
            return false;
        }
        String module;
        try {
            module = ModuleEscaping.unescapePath(path.substring(0, at));
        } catch (ProxyException e) {
            return false;
        }
        return git.routes().match(module).isPresent();
    }

    @Override
    public String describe() {
        return git.describe() + " else " + proxies.describe();
    }
}
