package dev.granary.core.sumdb;

import dev.granary.core.Meters;
import dev.granary.core.ProxyException;
import dev.granary.core.ProxyException.Kind;
import dev.granary.core.layout.StorageLayout;
import dev.granary.core.module.GoSum;
import dev.granary.core.module.ModulePatterns;
import dev.granary.core.module.ModuleVersion;
import dev.granary.core.verify.ChecksumVerifier;
import dev.granary.core.verify.ExpectedSums;
import dev.granary.core.verify.RefusedException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies fetched versions: public modules against the primary checksum database (a lookup proven
 * by signed tree heads and Merkle proofs, cached in storage once verified); private modules (the
 * no-sumdb patterns, GONOSUMDB syntax) against the pin their first fetch recorded
 * ({@code pins/<module>/@v/<version>.sum}), so a retagged private version is an alarm, not an update.
 * {@code golang.org/toolchain} is never private. With no database configured, public modules are not
 * verified.
 */
public final class SumdbVerifier implements ChecksumVerifier {
    private static final Logger log = LoggerFactory.getLogger(SumdbVerifier.class);

    private final SumdbDatabases databases;
    private final String noSumdb;
    private final MeterRegistry registry;

    public SumdbVerifier(SumdbDatabases databases, String noSumdb, MeterRegistry registry) {
        this.databases = databases;
        this.noSumdb = noSumdb == null ? "" : noSumdb;
        this.registry = registry;
    }

    private boolean isPrivate(ModuleVersion mv) {
        // Toolchains are looked up whatever the patterns say: the go command ignores GONOSUMDB for
        // them too (cmd/go/internal/modfetch/sumdb.go, useSumDB), since no go.sum can list them.
        return !mv.path().value().equals(StorageLayout.TOOLCHAIN_MODULE)
                && ModulePatterns.matchPrefixPatterns(noSumdb, mv.path().value());
    }

    @Override
    public Optional<ExpectedSums> expected(ModuleVersion mv) {
        if (isPrivate(mv)) {
            return databases.storage().read(StorageLayout.pin(mv)).map(pin -> ExpectedSums.fromPin(parsePin(mv, pin)));
        }
        Optional<SumdbDatabases.Database> primary = databases.primary();
        if (primary.isEmpty()) {
            return Optional.empty();
        }
        SumdbDatabases.Database db = primary.get();
        SumdbClient.Lookup lookup;
        try {
            lookup = db.client().lookup(mv);
        } catch (SumdbForkException e) {
            throw databases.fork(db, e);
        } catch (ProxyException e) {
            switch (e.kind()) {
                case NOT_FOUND, GONE ->
                    throw new RefusedException(
                            "not-in-sumdb",
                            "verifying " + mv
                                    + ": not found in checksum database " + db.name()
                                    + " (list it in --nosumdb if it is private): "
                                    + e.getMessage(),
                            e);
                case VERIFICATION_FAILED -> throw new RefusedException("invalid-proof", e.getMessage(), e);
                default -> {
                    result("error");
                    throw new ProxyException(
                            e.kind() == Kind.STORAGE_UNAVAILABLE ? e.kind() : Kind.UPSTREAM_FAILED,
                            "verifying " + mv + ": checksum database " + db.name() + " unavailable: " + e.getMessage(),
                            e);
                }
            }
        }
        // The .mod answer waits for this method: the cached copy is written meanwhile.
        databases.storage().saveVerifiedSoon(db.name(), StorageLayout.sumdbLookup(db.name(), mv), lookup.response());
        return Optional.of(ExpectedSums.fromDatabase(lookup.sums(), db.name()));
    }

    @Override
    public void accepted(GoSum actual) {
        ModuleVersion mv = actual.version();
        if (!isPrivate(mv)) {
            if (databases.primary().isPresent()) {
                result("ok");
            }
            return;
        }
        byte[] bytes = actual.bytes();
        byte[] pinned;
        try {
            pinned = databases.storage().putIfAbsent(StorageLayout.pin(mv), bytes);
        } catch (IOException e) {
            throw new ProxyException(
                    Kind.STORAGE_UNAVAILABLE, "verifying " + mv + ": recording its pin: " + e.getMessage(), e);
        }
        if (pinned == bytes) {
            result("pinned");
        } else if (Arrays.equals(pinned, bytes)) {
            result("pin-ok");
        } else {
            // A concurrent first fetch (another replica) pinned different content.
            throw new RefusedException(
                    "pin-mismatch",
                    "verifying " + mv
                            + ": private module changed since it was first fetched (a retagged version?)\n"
                            + "first fetch:\n" + new String(pinned, StandardCharsets.UTF_8)
                            + "this fetch:\n" + actual.text()
                            + "SECURITY ERROR: refusing the new content; nothing was cached.");
        }
    }

    @Override
    public void refused(ModuleVersion mv, String reason) {
        switch (reason) {
            case "checksum-mismatch", "pin-mismatch", "not-in-sumdb", "invalid-proof", "fork" -> result(reason);
            default -> {}
        }
    }

    private static GoSum parsePin(ModuleVersion mv, byte[] pin) {
        try {
            GoSum sums = GoSum.find(new String(pin, StandardCharsets.UTF_8), mv);
            if (sums != null) {
                return sums;
            }
        } catch (ProxyException e) {
            log.error("the pin of {} is unreadable: {}", mv, e.getMessage());
        }
        throw new RefusedException(
                "pin-unreadable",
                "verifying " + mv + ": its pin " + StorageLayout.pin(mv)
                        + " is unreadable; refusing until it is repaired");
    }

    private void result(String result) {
        Counter.builder(Meters.SUMDB_VERIFICATIONS)
                .description("Checksum verifications of fetched versions, by result")
                .tag("result", result)
                .register(registry)
                .increment();
    }
}
