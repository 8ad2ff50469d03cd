package dev.granary.core.protocol;

import dev.granary.core.module.ModulePath;
import dev.granary.core.module.ModuleVersion;

/**
 * A parsed, validated GOPROXY request (go.dev/ref/mod#goproxy-protocol). Produced only by
 * {@link RequestParser}; every field is already unescaped and checked.
 */
public sealed interface ProxyRequest {

    /** {@code <module>/@v/list}. */
    record ListVersions(ModulePath module) implements ProxyRequest {}

    /** {@code <module>/@latest}. */
    record Latest(ModulePath module) implements ProxyRequest {}

    /** {@code <module>/@v/<version>.info} for a canonical version. */
    record Info(ModuleVersion version) implements ProxyRequest {}

    /**
     * {@code <module>/@v/<query>.info} where the query is not a canonical version (branch, commit, prefix) or is a
     * version the path cannot have ({@code v2.0.0} of a path without {@code /v2}, which resolves to
     * {@code v2.0.0+incompatible}).
     */
    record Query(ModulePath module, String query) implements ProxyRequest {}

    /** {@code <module>/@v/<version>.mod}. */
    record GoMod(ModuleVersion version) implements ProxyRequest {}

    /** {@code <module>/@v/<version>.zip}. */
    record Zip(ModuleVersion version) implements ProxyRequest {}

    /** {@code sumdb/<name>/<path>}: the checksum database proxy; the name is {@code host[/path]}. */
    record Sumdb(String name, String path) implements ProxyRequest {}

    /** A short kind name for metrics and logs: list, latest, info, query, mod, zip, sumdb. */
    default String kind() {
        return switch (this) {
            case ListVersions l -> "list";
            case Latest l -> "latest";
            case Info i -> "info";
            case Query q -> "query";
            case GoMod m -> "mod";
            case Zip z -> "zip";
            case Sumdb s -> "sumdb";
        };
    }
}
