package dev.granary.core.upstream;

import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ordered list of upstreams with the {@code go} command's GOPROXY fallback rules
 * (go.dev/ref/mod#goproxy-protocol): after an entry followed by {@code ,} the next one is tried only
 * when the answer was 404 or 410; after {@code |}, on any error.
 *
 * <p>The keyword {@code off} ends the list: nothing after it is consulted, and an empty chain answers
 * every request with "not found" (offline mode: storage alone). {@code direct} is not a proxy: it is
 * recorded ({@link #includesDirect()}) and means the git routes, which serve matching module paths
 * before this chain is consulted (see {@code dev.granary.core.git.RoutedUpstream}).
 *
 * <p>A failure writing the local target of a download ({@code STORAGE_UNAVAILABLE}) ends the walk
 * under either separator: it is not an answer of the upstream.
 */
public final class UpstreamChain implements Upstream {
    private static final Logger log = LoggerFactory.getLogger(UpstreamChain.class);

    /** One entry and whether any error (not only not-found) falls through to the next entry. */
    public record Entry(Upstream upstream, boolean fallThroughOnError) {}

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
                throw new IllegalArgumentException(
                        "upstream list: '" + item
                                + "' is not supported (Granary serves from proxies, file trees and git routes; list them instead)");
            }
            // An item may carry a password (https://user:token@host): every message shows it redacted,
            // and the URI parser's own exception (which quotes its input) is not kept as a cause.
            String shown = Texts.printable(Texts.redact(item));
            URI uri;
            try {
                uri = new URI(item);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("upstream list: invalid URL '" + shown + "'");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme();
            Upstream u = switch (scheme) {
                case "http", "https" -> {
                    if (uri.getHost() == null) {
                        throw new IllegalArgumentException("upstream list: no host in '" + shown + "'");
                    }
                    yield http.apply(uri);
                }
                case "file" -> FileUpstream.of(uri);
                default ->
                    throw new IllegalArgumentException(
                            "upstream list: unsupported URL '" + shown + "' (http, https or file)");
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
                // A local storage fault is no upstream's error: the next upstream would meet the same full disk.
                boolean notHere = ex.kind() == Kind.NOT_FOUND || ex.kind() == Kind.GONE;
                if (ex.kind() == Kind.STORAGE_UNAVAILABLE || !(notHere || e.fallThroughOnError())) {
                    throw ex;
                }
                log.debug(
                        "{}: {} from {}, trying the next upstream",
                        path,
                        ex.kind(),
                        e.upstream().describe());
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
