package dev.granary.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AccessTest {
    private static final String READER = Tokens.generate();
    private static final String TEAM = Tokens.generate();
    private static final String CI = Tokens.generate();
    private static final String PROM = Tokens.generate();
    private static final String ADMIN = Tokens.generate();

    private static final TokenTable TABLE = TokenTable.parse(Map.of(
            "test",
            String.join(
                    "\n",
                    "reader " + Tokens.hash(READER) + " read",
                    "team-a " + Tokens.hash(TEAM) + " read:corp.example.com/team-a,github.com/acme/*   # comment",
                    "ci     " + Tokens.hash(CI) + " read:corp.example.com cache-write",
                    "prom   " + Tokens.hash(PROM) + " metrics",
                    "root   " + Tokens.hash(ADMIN) + " admin")));

    private static String token(String who) {
        return switch (who) {
            case "reader" -> READER;
            case "team-a" -> TEAM;
            case "ci" -> CI;
            case "prom" -> PROM;
            case "root" -> ADMIN;
            case "unknown" -> Tokens.generate();
            default -> throw new IllegalArgumentException(who);
        };
    }

    private static Need need(String what) {
        String[] w = what.split(":", 2);
        return switch (w[0]) {
            case "read" -> Need.read(w[1]);
            case "sumdb" -> Need.sumdb(w[1]);
            case "metrics" -> Need.metrics();
            case "cache-read" -> Need.cacheRead();
            case "cache-write" -> Need.cacheWrite();
            case "admin" -> Need.admin();
            case "open" -> Need.OPEN;
            case "catalog" -> Need.catalog();
            default -> throw new IllegalArgumentException(what);
        };
    }

    /** "allowed", "missing", "invalid" or "forbidden". */
    private static String decide(Access access, String who, String how, String what) {
        String auth = who.equals("-")
                ? null
                : switch (how) {
                    case "basic" ->
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString(("anyone:" + token(who)).getBytes(StandardCharsets.UTF_8));
                    case "login" ->
                        "Basic "
                                + Base64.getEncoder()
                                        .encodeToString((token(who) + ":").getBytes(StandardCharsets.UTF_8));
                    case "bearer" -> "Bearer " + token(who);
                    default -> throw new IllegalArgumentException(how);
                };
        return switch (access.check(auth, need(what))) {
            case Decision.Allowed a -> "allowed";
            case Decision.Unauthenticated u -> u.reason();
            case Decision.Forbidden f -> "forbidden";
        };
    }

    @ParameterizedTest(name = "{0} ({1}) -> {2}: {3}")
    @CsvSource(delimiter = '|', textBlock = """
            -       | -      | read:corp.example.com/team-a/svc | missing
            -       | -      | read:golang.org/x/text           | allowed
            -       | -      | open                             | allowed
            unknown | bearer | open                             | allowed
            unknown | bearer | read:golang.org/x/text           | invalid
            unknown | basic  | read:corp.example.com/x          | invalid
            reader  | basic  | read:corp.example.com/team-b/svc | allowed
            reader  | bearer | read:corp.example.com/team-b/svc | allowed
            reader  | login  | read:corp.example.com/team-b/svc | allowed
            team-a  | basic  | read:corp.example.com/team-a/svc | allowed
            team-a  | basic  | read:corp.example.com/team-a     | allowed
            team-a  | basic  | read:corp.example.com/team-b/svc | forbidden
            team-a  | basic  | read:github.com/acme/private     | allowed
            team-a  | basic  | read:golang.org/x/text           | allowed
            ci      | bearer | read:corp.example.com/team-b/svc | allowed
            prom    | bearer | read:corp.example.com/team-a/svc | forbidden
            -       | -      | sumdb:sum.golang.org             | allowed
            prom    | bearer | metrics                          | allowed
            reader  | bearer | metrics                          | forbidden
            -       | -      | metrics                          | missing
            -       | -      | cache-read                       | missing
            reader  | bearer | cache-read                       | forbidden
            ci      | bearer | cache-read                       | allowed
            ci      | bearer | cache-write                      | allowed
            reader  | bearer | cache-write                      | forbidden
            -       | -      | cache-write                      | missing
            root    | basic  | cache-write                      | allowed
            root    | basic  | admin                            | allowed
            ci      | basic  | admin                            | forbidden
            root    | basic  | read:corp.example.com/team-z     | allowed
            -       | -      | catalog                          | missing
            team-a  | bearer | catalog                          | forbidden
            reader  | bearer | catalog                          | allowed
            root    | bearer | catalog                          | allowed
            """)
    void decidesByPatternRightAndCredentials(String who, String how, String what, String expected) {
        Access access = new Access(() -> TABLE, "corp.example.com", true);
        assertThat(decide(access, who, how, what)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            -      | sumdb:sum.golang.org | missing
            team-a | sumdb:sum.golang.org | allowed
            prom   | sumdb:sum.golang.org | forbidden
            -      | read:rsc.io/quote    | missing
            -      | metrics              | allowed
            """)
    void starGuardsEveryModuleAndTheChecksumDatabaseProxy(String who, String what, String expected) {
        assertThat(decide(new Access(() -> TABLE, "*", false), who, "bearer", what))
                .isEqualTo(expected);
    }

    @Test
    void withNoTokensConfiguredCredentialsSentAnywayAreIgnored() {
        Access open = Access.open();
        assertThat(open.enabled()).isFalse();
        assertThat(open.check("Bearer whatever", Need.read("rsc.io/quote"))).isInstanceOf(Decision.Allowed.class);
        assertThat(open.check(null, Need.cacheWrite())).isInstanceOf(Decision.Unauthenticated.class);
    }

    @Test
    void whatNeedsATokenWhoeverAsks() {
        Access guarded = new Access(() -> TABLE, "corp.example.com", true);
        assertThat(guarded.needsToken(Need.cacheRead()))
                .as("auth.required set, whatever its patterns")
                .isTrue();
        assertThat(guarded.needsToken(Need.cacheWrite())).isTrue();
        assertThat(guarded.needsToken(Need.read("corp.example.com/x"))).isTrue();
        assertThat(guarded.needsToken(Need.read("rsc.io/quote"))).isFalse();
        assertThat(guarded.needsToken(Need.metrics())).isTrue();
        assertThat(guarded.needsToken(Need.OPEN)).isFalse();

        Access tokensOnly = new Access(() -> TABLE, "", false);
        assertThat(tokensOnly.needsToken(Need.cacheRead())).isFalse();
        assertThat(tokensOnly.needsToken(Need.cacheWrite())).isTrue();
        assertThat(tokensOnly.needsToken(Need.metrics())).isFalse();
        assertThat(Access.open().needsToken(Need.cacheWrite()))
                .as("no tokens: no write can be made")
                .isTrue();
        assertThat(Access.open().check("Bearer whatever", Need.cacheWrite()))
                .isInstanceOf(Decision.Unauthenticated.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"Bearer", "Bearer ", "Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic Og==", "Digest abc", "token"
            })
    void malformedCredentialsAreInvalidNotAnError(String header) {
        Access access = new Access(() -> TABLE, "corp.example.com", false);
        Decision d = access.check(header, Need.read("corp.example.com/x"));
        assertThat(d).isInstanceOf(Decision.Unauthenticated.class);
        assertThat(((Decision.Unauthenticated) d).reason()).isEqualTo(Decision.INVALID);
    }

    @Test
    void refusalsNameTheTokenAndWhatItLacksButNeverASecret() {
        Access access = new Access(() -> TABLE, "corp.example.com", true);
        Decision.Forbidden f =
                (Decision.Forbidden) access.check("Bearer " + TEAM, Need.read("corp.example.com/team-b/svc"));
        assertThat(f.detail())
                .isEqualTo("token 'team-a' may not read corp.example.com/team-b/svc"
                        + " (it may read corp.example.com/team-a,github.com/acme/*)");
        Decision.Unauthenticated bad =
                (Decision.Unauthenticated) access.check("Bearer " + TEAM + "x", Need.read("corp.example.com/a"));
        assertThat(bad.detail()).doesNotContain(TEAM).doesNotContain(Tokens.hash(TEAM));
        Decision.Unauthenticated none = (Decision.Unauthenticated) access.check(null, Need.read("corp.example.com/a"));
        assertThat(none.detail()).startsWith("authentication required: corp.example.com/a needs a token");
    }

    @Test
    void tokensAreRandomPrefixedAndKeptOnlyAsTheirHash() {
        String t = Tokens.generate();
        assertThat(t).startsWith("granary_").hasSize("granary_".length() + 43).isNotEqualTo(Tokens.generate());
        // sha256 of "granary_test", as sha256sum prints it.
        assertThat(Tokens.hash("granary_test"))
                .isEqualTo("sha256:a7112456adc861dceee2aa72acadc9cb45b339be75f5bc800a53a3adc576e3ad");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            ci sha256:abc read                                                                   | expected sha256: and 64
            ci read                                                                              | expected '<name> sha256:<hex> <right>...'
            c!i sha256:0000000000000000000000000000000000000000000000000000000000000000 read    | token name 'c!i'
            -x sha256:0000000000000000000000000000000000000000000000000000000000000000 read     | token name '-x'
            ci sha256:0000000000000000000000000000000000000000000000000000000000000000 write    | unknown right 'write'
            ci sha256:0000000000000000000000000000000000000000000000000000000000000000 read:a,,b | malformed module pattern
            ci granary_abcdefabcdefabcdefabcdefabcdefabcdefabcdefabc read                       | tokens themselves never go in the configuration
            """)
    void badTokenLinesAreRefusedWithWhereAndWhy(String line, String message) {
        assertThatThrownBy(() -> TokenTable.parse(Map.of("tokens.txt", "# header\n" + line)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tokens.txt entry 2")
                .hasMessageContaining(message);
    }

    @Test
    void namesAndTokensAreUnique() {
        String h = Tokens.hash("granary_x");
        assertThatThrownBy(() -> TokenTable.parse(Map.of("f", "a " + h + " read\nb " + h + " read")))
                .hasMessageContaining("the same token is listed twice");
        assertThatThrownBy(
                        () -> TokenTable.parse(Map.of("f", "a " + h + " read;a " + Tokens.hash("granary_y") + " read")))
                .hasMessageContaining("token name 'a' is used twice");
    }
}
