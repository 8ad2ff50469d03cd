package dev.granary.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestParserTest {

    @ParameterizedTest(name = "{0} -> {1} {2} {3}")
    @CsvSource(
            delimiter = ' ',
            value = {
                "/rsc.io/quote/@v/list list rsc.io/quote -",
                "/rsc.io/quote/@latest latest rsc.io/quote -",
                "/rsc.io/quote/@v/v1.5.2.info info rsc.io/quote v1.5.2",
                "/rsc.io/quote/@v/v1.5.2.mod mod rsc.io/quote v1.5.2",
                "/rsc.io/quote/@v/v1.5.2.zip zip rsc.io/quote v1.5.2",
                "/rsc.io/!q!u!o!t!e/@v/v1.5.2.zip zip rsc.io/QUOTE v1.5.2",
                "/rsc.io/%21q%21u%21o%21t%21e/@v/v1.5.2.zip zip rsc.io/QUOTE v1.5.2",
                "/github.com/!azure/go-autorest/@v/v14.2.0+incompatible.zip zip github.com/Azure/go-autorest v14.2.0+incompatible",
                "/rsc.io/quote/v3/@v/v3.0.0.mod mod rsc.io/quote/v3 v3.0.0",
                "/rsc.io/quote/@v/v1.5.3-!p!r!e.info info rsc.io/quote v1.5.3-PRE",
                "/rsc.io/quote/@v/master.info query rsc.io/quote master",
                "/rsc.io/quote/@v/v1.5.info query rsc.io/quote v1.5",
                "/rsc.io/quote/@v/v0.0.0-20180709162918-a91498bed0a7.zip zip rsc.io/quote v0.0.0-20180709162918-a91498bed0a7",
                "/gopkg.in/yaml.v2/@v/v2.4.0.zip zip gopkg.in/yaml.v2 v2.4.0",
                "/rsc.io/quote/@v/list?go-get=1 list rsc.io/quote -",
                // A version the path cannot have is a query: the upstream resolves it (v2.0.0 -> v2.0.0+incompatible).
                "/rsc.io/breaker/@v/v2.0.0.info query rsc.io/breaker v2.0.0",
                "/rsc.io/quote/v3/@v/v1.0.0.info query rsc.io/quote/v3 v1.0.0",
                "/gopkg.in/yaml.v2/@v/v3.0.0.info query gopkg.in/yaml.v2 v3.0.0",
                "/rsc.io/breaker/@v/v2.0.0+incompatible.info info rsc.io/breaker v2.0.0+incompatible",
            })
    void validRequestsParse(String path, String kind, String module, String version) {
        ProxyRequest r = RequestParser.parse(path);
        assertThat(r.kind()).isEqualTo(kind);
        switch (r) {
            case ProxyRequest.ListVersions l -> assertThat(l.module().value()).isEqualTo(module);
            case ProxyRequest.Latest l -> assertThat(l.module().value()).isEqualTo(module);
            case ProxyRequest.Info i -> assertThat(i.version().toString()).isEqualTo(module + "@" + version);
            case ProxyRequest.GoMod m -> assertThat(m.version().toString()).isEqualTo(module + "@" + version);
            case ProxyRequest.Zip z -> assertThat(z.version().toString()).isEqualTo(module + "@" + version);
            case ProxyRequest.Query q -> {
                assertThat(q.module().value()).isEqualTo(module);
                assertThat(q.query()).isEqualTo(version);
            }
            case ProxyRequest.Sumdb s -> throw new AssertionError(s);
        }
    }

    @Test
    void sumdbPathsParse() {
        ProxyRequest r = RequestParser.parse("/sumdb/sum.golang.org/lookup/rsc.io/quote@v1.5.2");
        assertThat(r).isEqualTo(new ProxyRequest.Sumdb("sum.golang.org", "lookup/rsc.io/quote@v1.5.2"));
        assertThat(RequestParser.parse("/sumdb/sum.golang.org/supported"))
                .isEqualTo(new ProxyRequest.Sumdb("sum.golang.org", "supported"));
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(
            delimiter = ' ',
            value = {
                // Names are host[/path] (cmd/go/internal/modfetch/sumdb.go); the go command's test database has a path.
                "/sumdb/localhost.localdev/sumdb/supported localhost.localdev/sumdb supported",
                "/sumdb/localhost.localdev/sumdb/latest localhost.localdev/sumdb latest",
                "/sumdb/localhost.localdev/sumdb/lookup/rsc.io/quote@v1.5.2 localhost.localdev/sumdb lookup/rsc.io/quote@v1.5.2",
                "/sumdb/localhost.localdev/sumdb/tile/8/0/000.p/5 localhost.localdev/sumdb tile/8/0/000.p/5",
                "/sumdb/sum.example.com:8443/a/b/tile/8/1/x001/234 sum.example.com:8443/a/b tile/8/1/x001/234",
                // 'latest' and 'supported' end the path; before the end they are part of the name.
                "/sumdb/sum.example.com/latest/latest sum.example.com/latest latest",
                "/sumdb/sum.example.com/supported/lookup/rsc.io/quote@v1.5.2 sum.example.com/supported lookup/rsc.io/quote@v1.5.2",
                // The first lookup or tile segment with more after it ends the name, even for a module path containing
                // one.
                "/sumdb/sum.golang.org/lookup/example.com/tile/x@v1.0.0 sum.golang.org lookup/example.com/tile/x@v1.0.0",
            })
    void sumdbNamesMayHaveAPath(String path, String name, String endpoint) {
        assertThat(RequestParser.parse(path)).isEqualTo(new ProxyRequest.Sumdb(name, endpoint));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/../etc/passwd",
                "/rsc.io/../../etc/@v/list",
                "/rsc.io/%2e%2e/%2e%2e/etc/@v/list",
                "/rsc.io/%2E%2E/@v/list",
                "/rsc.io%2fquote/@v/list",
                "/rsc.io%2Fquote/@v/v1.0.0.zip",
                "/rsc.io%5cquote/@v/list",
                "/rsc.io//quote/@v/list",
                "/rsc.io/quote/@v/",
                "/rsc.io/quote/@v/.zip",
                "/rsc.io/quote/@v/v1.5.2.exe",
                "/rsc.io/quote/@v/v1.5.2.zip/more",
                "/rsc.io/Quote/@v/list",
                "/rsc.io/!!quote/@v/list",
                "/rsc.io/quote!/@v/list",
                "/rsc.io/!Quote/@v/list",
                "/rsc.io/quote/@v/v1.5.2-!.zip",
                "/rsc.io/quote/@v/V1.5.2.zip",
                "/rsc.io/quote/@v/v1.5.zip",
                "/rsc.io/quote/v3/@v/v1.0.0.zip",
                "/rsc.io/quote/@v/v2.0.0.zip",
                "/-rsc.io/quote/@v/list",
                "/rsc.io/quote%00/@v/list",
                "/rsc.io/quote%0a/@v/list",
                "/rsc.io/qu%zzote/@v/list",
                "/rsc.io/quote%/@v/list",
                "/rsc.io/quote/@v/list%",
                "/rsc.io/quot\u00e9/@v/list",
                "/sumdb/../x",
                "/sumdb/SUM.golang.org/latest",
                "/sumdb/sum.golang.org",
                "/sumdb/sum.golang.org/nothing",
                "/sumdb/sum.golang.org/lookup",
                "/sumdb/localhost.localdev/sumdb",
                "/sumdb/localhost.localdev/s%20db/latest",
                "/sumdb/localhost.localdev/s:db/latest",
                "/sumdb/supported",
                "/@v/list",
                "/favicon.ico",
                "relative/@v/list",
            })
    void hostileOrMalformedPathsAreRefusedAsNotFound(String path) {
        assertThatThrownBy(() -> RequestParser.parse(path)).isInstanceOfSatisfying(ProxyException.class, e -> {
            assertThat(e.isNotFound()).isTrue();
            assertThat(e.getMessage()).isNotBlank();
        });
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ' ',
            value = {
                "/rsc.io/quote/@v/list /rsc.io/quote/@v/list",
                "/rsc.io/quote/@v/list?x=1#f /rsc.io/quote/@v/list",
                "http://proxy.example/rsc.io/quote/@v/list /rsc.io/quote/@v/list",
                "HTTPS://proxy.example:8443/healthz?x=/y /healthz",
                "http://proxy.example /",
                "http://proxy.example?q=/a /",
                "http://user@proxy.example/a%2Fb /a%2Fb",
            })
    void originAndAbsoluteFormTargetsGiveTheirPath(String target, String path) {
        assertThat(RequestParser.path(target)).isEqualTo(path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"*", "proxy.example:443", "ftp://proxy.example/a", "//proxy.example/a"})
    void otherTargetFormsAreRefused(String target) {
        assertThatThrownBy(() -> RequestParser.parse(target))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.isNotFound()).isTrue());
    }

    @Test
    void absoluteFormTargetsParseLikeTheirPath() {
        assertThat(RequestParser.parse("http://proxy.example/rsc.io/quote/@v/v1.5.2.zip"))
                .isEqualTo(RequestParser.parse("/rsc.io/quote/@v/v1.5.2.zip"));
    }

    static Stream<String> unstorablePaths() {
        String a300 = "a".repeat(300);
        return Stream.of(
                "/example.com/" + a300 + "/@v/list",
                "/example.com/" + a300 + "/@latest",
                "/example.com/" + a300 + "/@v/v1.0.0.zip",
                "/example.com/m/@v/v1.0.0-" + a300 + ".info",
                "/example.com/m/@v/v1.0.0-" + "b".repeat(247) + ".mod",
                "/example.com/m/@v/" + "c".repeat(251) + ".info",
                "/example.com/m/@v/" + "!c".repeat(126) + ".info",
                "/example.com/" + "x".repeat(240) + "/@v/v1.0.0-" + "y".repeat(20) + ".zip",
                "/example.com/" + "a/".repeat(600) + "@v/list",
                "/example.com/" + "abcdefghij/".repeat(90) + "@latest",
                "/sumdb/sum.golang.org/lookup/example.com/" + a300 + "@v1.0.0",
                "/sumdb/sum.golang.org/lookup/example.com/m@v1.0.0-" + a300,
                "/sumdb/" + "s".repeat(300) + "/latest");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("unstorablePaths")
    void namesNoStorageCanHoldAreRefusedBeforeAnyStorageCall(String path) {
        assertThatThrownBy(() -> RequestParser.parse(path)).isInstanceOfSatisfying(ProxyException.class, e -> {
            assertThat(e.isNotFound()).isTrue();
            assertThat(e.getMessage()).isNotBlank().hasSizeLessThan(200);
        });
    }

    @Test
    void theLongestStorableNamesStillParse() {
        String elem = "a".repeat(255);
        assertThat(RequestParser.parse("/example.com/" + elem + "/@v/list").kind())
                .isEqualTo("list");
        assertThat(RequestParser.parse("/example.com/m/@v/v1.0.0-" + "b".repeat(243) + ".zip")
                        .kind())
                .isEqualTo("zip");
        assertThat(RequestParser.parse("/example.com/" + "x".repeat(240) + "/@v/v1.0.0-" + "y".repeat(7) + ".zip")
                        .kind())
                .isEqualTo("zip");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/sumdb/sum.golang.org/supported",
                "/sumdb/sum.golang.org/latest",
                "/sumdb/sum.golang.org/lookup/rsc.io/quote@v1.5.2",
                "/sumdb/sum.golang.org/lookup/github.com/!azure/go-autorest@v14.2.0+incompatible",
                "/sumdb/sum.golang.org/lookup/golang.org/x/text@v0.0.0-20170915032832-14c0d48ead0c",
                "/sumdb/sum.golang.org/tile/8/0/000",
                "/sumdb/sum.golang.org/tile/8/0/x001/x234/067.p/5",
                "/sumdb/sum.golang.org/tile/8/1/000.p/1",
                "/sumdb/sum.golang.org/tile/8/data/000.p/3",
                "/sumdb/localhost:8080/latest",
            })
    void checksumDatabasePathsTheGoCommandSendsParse(String path) {
        assertThat(RequestParser.parse(path).kind()).isEqualTo("sumdb");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/sumdb/sum.golang.org/lookup/rsc.io/quote",
                "/sumdb/sum.golang.org/lookup/rsc.io/quote@",
                "/sumdb/sum.golang.org/lookup/@v1.5.2",
                "/sumdb/sum.golang.org/lookup/rsc.io/quote@latest",
                "/sumdb/sum.golang.org/lookup/rsc.io/quote@v1.5",
                "/sumdb/sum.golang.org/lookup/rsc.io/quote@v2.0.0",
                "/sumdb/sum.golang.org/lookup/rsc.io/Quote@v1.5.2",
                "/sumdb/sum.golang.org/tile/8/0/0000",
                "/sumdb/sum.golang.org/tile/8/0/999999999999999999999999",
                "/sumdb/sum.golang.org/tile/4/0/000",
                "/sumdb/sum.golang.org/tile/8/64/000",
                "/sumdb/sum.golang.org/tile/8/-1/000",
                "/sumdb/sum.golang.org/tile/8/0/000.p/0",
                "/sumdb/sum.golang.org/tile/8/0/000.p/256",
                "/sumdb/sum.golang.org/tile/8/0/000.p/",
                "/sumdb/sum.golang.org/tile/8/0",
                "/sumdb/sum.golang.org/tile/",
                "/sumdb/sum.golang.org/latest/more",
                "/sumdb/sum.golang.org/supported/x",
                "/sumdb/sum.golang.org/other",
            })
    void malformedChecksumDatabasePathsAreRefused(String path) {
        assertThatThrownBy(() -> RequestParser.parse(path))
                .isInstanceOfSatisfying(
                        ProxyException.class, e -> assertThat(e.isNotFound()).isTrue());
    }

    @Test
    void overlongPathsAreRefused() {
        String path = "/example.com/" + "a/".repeat(1500) + "@v/list";
        assertThatThrownBy(() -> RequestParser.parse(path))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("longer");
    }
}
