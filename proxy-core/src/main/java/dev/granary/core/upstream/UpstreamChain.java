package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * An ordered list of upstreams with the {@code go} command's GOPROXY fallback rules
 * (go.dev/ref/mod#goproxy-protocol): after an entry followed by {@code ,} the next one is tried only
 * when the answer was 404 or 410; after {@code |}, on any error.
 *
 * <p>The keyword {@code off} ends the list: nothing after it is consulted, and an empty chain answers
 * every request with "not found" (offline mode: storage alone). {@code direct} is not a proxy: it is
 * recorded ({@link #includesDirect()}) and means the git routes, which serve matching module paths
 * before this chain is consulted (see {@code dev.granary.core.git.RoutedUpstream}).
 */
public final class UpstreamChain implements Upstream {

    /** One entry and whether any error (not only not-found) falls through to the next entry. */
    public record Entry(Upstream upstream, boolean fallThroughOnError) {
    }

    private final List<Entry> entries;
    private final boolean direct;

    public UpstreamChain(List<Entry> entries) {
        this(entries, false);
    }

    private UpstreamChain(List<Entry> entries, boolean direct) {
        this.entries = List.copyOf(entries);
        this.direct = direct;
    }

    /** True when the list named {@code direct}: the git routes must then be configured. */
    public boolean includesDirect() {
        return direct;
    }

    /** Parses GOPROXY syntax ({@code https://a,https://b|file:///c}); {@code off} means no upstream. */
    public static UpstreamChain parse(String list, HttpClient client, HttpUpstream.Settings settings) {
        return parse(list, uri -> new HttpUpstream(uri, client, settings));
    }

    static UpstreamChain parse(String list, Function<URI, Upstream> http) {
        List<Entry> entries = new ArrayList<>();
        boolean direct = false;
        String rest = list == null ? "" : list.strip();
        while (!rest.isEmpty()) {
            int i = indexOfSeparator(rest);
            String item = (i < 0 ? rest : rest.substring(0, i)).strip();
            boolean pipe = i >= 0 && rest.charAt(i) == '|';
            rest = i < 0 ? "" : rest.substring(i + 1);
            if (item.isEmpty()) {
                continue;
            }
            if (item.equals("off")) {
                break;
            }
            if (item.equals("direct")) {
                direct = true;
                continue;
            }
            if (item.equals("noproxy")) {
                throw new IllegalArgumentException("upstream list: '" + item
                        + "' is not supported (Granary serves from proxies, file trees and git routes; list them instead)");
            }
            URI uri;
            try {
                uri = URI.create(item);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("upstream list: invalid URL '" + item + "'", e);
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme();
            Upstream u = switch (scheme) {
                case "http", "https" -> http.apply(uri);
                case "file" -> FileUpstream.of(uri);
                default -> throw new IllegalArgumentException("upstream list: unsupported URL '" + item + "' (http, https or file)");
            };
            entries.add(new Entry(u, pipe));
        }
        return new UpstreamChain(entries, direct);
    }

    private static int indexOfSeparator(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ',' || s.charAt(i) == '|') {
                return i;
            }
        }
        return -1;
    }

    /** True when there is no upstream at all (offline). */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public List<Entry> entries() {
        return entries;
    }

    @Override
    public byte[] fetch(String path, long maxBytes) {
        return walk(path, u -> u.fetch(path, maxBytes));
    }

    @Override
    public long download(String path, Path target, long maxBytes) {
        return walk(path, u -> u.download(path, target, maxBytes));
    }

    private <T> T walk(String path, Function<Upstream, T> call) {
        if (entries.isEmpty()) {
            throw ProxyException.notFound("not found: " + path + " (offline: no upstream)");
        }
        ProxyException last = null;
        for (Entry e : entries) {
            try {
                return call.apply(e.upstream());
            } catch (ProxyException ex) {
                // go.dev/ref/mod#goproxy-protocol: ',' falls through on 404/410 only, '|' on any error.
                if (!(ex.kind() == Kind.NOT_FOUND || ex.kind() == Kind.GONE || e.fallThroughOnError())) {
                    throw ex;
                }
                last = ex;
            }
        }
        throw last;
    }

    @Override
    public String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < entries.size(); i++) {
            if (i > 0) {
                b.append(entries.get(i - 1).fallThroughOnError() ? "|" : ",");
            }
            b.append(entries.get(i).upstream().describe());
        }
        return b.isEmpty() ? "off" : b.toString();
    }
}
