package dev.granary.bench;

import dev.granary.core.protocol.ProxyRequest;
import dev.granary.core.protocol.RequestParser;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Request path parsing: runs on every request before any cache is consulted, so its cost is a floor
 * under the latency of even the hottest hit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RequestParserBench {

    /** What the go command sends: all artifact kinds, escaped capitals (both {@code !} and {@code %21}). */
    static final String[] PATHS = {
        "/github.com/!burnt!sushi/toml/@v/list",
        "/github.com/%21burnt%21sushi/toml/@v/v1.3.2.info",
        "/github.com/!burnt!sushi/toml/@v/v1.3.2.mod",
        "/github.com/!burnt!sushi/toml/@v/v1.3.2.zip",
        "/golang.org/x/mod/@latest",
        "/golang.org/x/mod/@v/v0.14.0.info",
        "/golang.org/x/mod/@v/v0.14.0.mod",
        "/golang.org/x/text/@v/v0.0.0-20170915032832-14c0d48ead0c.zip",
        "/github.com/%21azure/azure-sdk-for-go/sdk/azcore/@v/v1.9.0.mod",
        "/github.com/docker/docker/@v/v24.0.7+incompatible.info",
        "/gopkg.in/yaml.v3/@v/v3.0.1.zip",
        "/github.com/stretchr/testify/@v/master.info",
        "/sumdb/sum.golang.org/lookup/golang.org/x/mod@v0.14.0",
        "/sumdb/sum.golang.org/tile/8/0/x090/123",
    };

    static final int COUNT = 14;

    @Setup
    public void setup() {
        if (PATHS.length != COUNT) {
            throw new IllegalStateException("COUNT must be PATHS.length, " + PATHS.length);
        }
        for (String p : PATHS) {
            RequestParser.parse(p); // every path must parse: the benchmark measures no refusals
        }
    }

    // RequestParser.parse over the mix above, one op per path (ops/s = requests parsed per second).
    @Benchmark
    @OperationsPerInvocation(COUNT)
    public void parse(Blackhole bh) {
        for (String p : PATHS) {
            ProxyRequest r = RequestParser.parse(p);
            bh.consume(r);
        }
    }
}
