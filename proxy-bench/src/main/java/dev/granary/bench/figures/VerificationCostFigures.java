package dev.granary.bench.figures;

import dev.granary.core.sumdb.TestSumdb;
import dev.granary.core.testing.GoProxyTree;
import dev.granary.core.testing.TestUpstream;
import dev.granary.server.config.ConfigKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What checksum verification costs on a cold fetch: the same three module versions fetched through a
 * fresh Granary without and with verification against a real checksum database (testsumdb, on
 * loopback), after a warm-up fetch of another version (JIT, connections, the first tree head). Prints
 * the median over the rounds and the database requests one verified round made.
 *
 * <p>Argument: rounds (default 7).
 */
public final class VerificationCostFigures {
    private static final String[] ZIPS = {
        "rsc.io/quote/@v/v1.5.2.zip",
        "rsc.io/sampler/@v/v1.3.0.zip",
        "golang.org/x/text/@v/v0.0.0-20170915032832-14c0d48ead0c.zip"
    };

    private VerificationCostFigures() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        try (Rig rig = new Rig("verification")) {
            GoProxyTree tree = new GoProxyTree(rig.work.resolve("upstream"))
                    .addGoTestModules(
                            "rsc.io_quote_v1.5.2.txt",
                            "rsc.io_quote_v1.4.0.txt",
                            "rsc.io_sampler_v1.3.0.txt",
                            "golang.org_x_text_v0.0.0-20170915032832-14c0d48ead0c.txt");
            TestSumdb db = rig.closeLater(TestSumdb.start(tree.root()));
            TestUpstream upstream = rig.closeLater(TestUpstream.serve(tree.root()));
            List<Long> plain = new ArrayList<>();
            List<Long> verified = new ArrayList<>();
            double lookups = 0;
            double tiles = 0;
            for (int round = 0; round < rounds; round++) {
                for (boolean verify : new boolean[] {false, true}) {
                    Map<ConfigKey, String> config =
                            verify ? Map.of(ConfigKey.SUMDB, db.verifierKey() + " " + db.url()) : Map.of();
                    Path storage = rig.work.resolve("storage-" + round + (verify ? "-verified" : "-plain"));
                    try (Rig.Server g = rig.start(storage, upstream.uri().toString(), config)) {
                        rig.ok(g.url() + "/rsc.io/quote/@v/v1.4.0.zip");
                        double lookupsBefore =
                                rig.metric(g.url(), "granary_sumdb_fetch_seconds_count", "endpoint=\"lookup\"");
                        double tilesBefore =
                                rig.metric(g.url(), "granary_sumdb_fetch_seconds_count", "endpoint=\"tile\"");
                        long start = System.nanoTime();
                        for (String zip : ZIPS) {
                            rig.ok(g.url() + "/" + zip);
                        }
                        long took = System.nanoTime() - start;
                        (verify ? verified : plain).add(took);
                        if (verify) {
                            lookups = rig.metric(g.url(), "granary_sumdb_fetch_seconds_count", "endpoint=\"lookup\"")
                                    - lookupsBefore;
                            tiles = rig.metric(g.url(), "granary_sumdb_fetch_seconds_count", "endpoint=\"tile\"")
                                    - tilesBefore;
                        }
                    }
                }
            }
            System.out.printf(
                    "cold fetch of %d versions through Granary, median of %d rounds: %.1f ms unverified, %.1f ms verified (%+.1f ms)%n",
                    ZIPS.length,
                    rounds,
                    Rig.medianMillis(plain),
                    Rig.medianMillis(verified),
                    Rig.medianMillis(verified) - Rig.medianMillis(plain));
            System.out.printf(
                    "checksum database requests in a verified round: %.0f lookups, %.0f tiles%n", lookups, tiles);
        }
    }
}
