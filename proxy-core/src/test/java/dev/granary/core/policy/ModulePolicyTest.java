package dev.granary.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import dev.granary.core.module.ModuleVersion;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModulePolicyTest {
    private static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static final String DENY = """
            # known bad
            github.com/evil/*                      # typosquat of github.com/evi1
            golang.org/x/crypto <v0.31.0           # CVE-2024-45337
            example.com/lib >=v2.0.0 <v2.1.0; example.com/other v1.0.0
            """;

    private static ModulePolicy policy(String deny, String allow, Duration minAge, String exempt) {
        return new ModulePolicy(PolicyRule.parseList(deny), PolicyRule.parseList(allow), minAge, exempt, CLOCK);
    }

    /** The policy's answer for a version published at {@code time}: "ok" or the refusal's reason label. */
    private static String verdict(ModulePolicy p, String module, String version, String time) {
        ModuleVersion mv = ModuleVersion.of(module, version);
        byte[] info = ("{\"Version\":\"" + version + "\"" + (time.isEmpty() ? "" : ",\"Time\":\"" + time + "\"") + "}")
                .getBytes(StandardCharsets.UTF_8);
        try {
            p.checkInfo(mv, info);
            return "ok";
        } catch (PolicyException e) {
            assertThat(e.kind()).isEqualTo(ProxyException.Kind.FORBIDDEN);
            assertThat(e.getMessage()).startsWith("policy: " + mv + " is ");
            return e.reason();
        }
    }

    @ParameterizedTest(name = "{0}@{1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            github.com/evil/pkg        | v1.0.0  | denied
            github.com/evil/pkg/v2     | v2.0.0  | denied
            github.com/evil            | v1.0.0  | ok
            github.com/evilcorp/pkg    | v1.0.0  | ok
            golang.org/x/crypto        | v0.30.0 | denied
            golang.org/x/crypto        | v0.31.0 | ok
            example.com/lib/v2         | v2.0.5  | denied
            example.com/lib/v2         | v2.1.0  | ok
            example.com/lib            | v2.0.5+incompatible | denied
            example.com/lib            | v2.1.0+incompatible | ok
            example.com/other          | v1.0.0  | denied
            example.com/other          | v1.0.1  | ok
            rsc.io/quote               | v1.5.2  | ok
            """)
    void denyRulesCoverModulePatternsAndVersionRanges(String module, String version, String expected) {
        assertThat(verdict(policy(DENY, "", Duration.ZERO, ""), module, version, "2020-01-01T00:00:00Z"))
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}@{1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            corp.example.com/team/a    | v1.0.0  | ok
            github.com/acme/tool       | v1.2.0  | ok
            github.com/acme/tool       | v1.1.9  | not-allowed
            github.com/other/tool      | v1.0.0  | not-allowed
            github.com/evil/pkg        | v1.0.0  | denied
            """)
    void anAllowListRefusesWhatItDoesNotCoverAndDenyStillWins(String module, String version, String expected) {
        ModulePolicy p = policy(
                "github.com/evil/*",
                "corp.example.com; github.com/acme/* >=v1.2.0; github.com/evil/*",
                Duration.ZERO,
                "");
        assertThat(verdict(p, module, version, "2020-01-01T00:00:00Z")).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} published {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            github.com/a/b             | 2026-11-27T11:00:00Z          | quarantined
            github.com/a/b             | 2026-11-24T12:00:01Z          | quarantined
            github.com/a/b             | 2026-11-24T12:00:00Z          | ok
            github.com/a/b             | 2026-11-24T13:00:00+02:00     | ok
            github.com/a/b             | 2019-10-03T15:04:05.123456789Z | ok
            github.com/a/b             | 2026-12-01T00:00:00Z          | quarantined
            github.com/a/b             | ''                            | quarantined
            github.com/a/b             | yesterday                     | quarantined
            corp.example.com/svc       | 2026-11-27T11:59:00Z          | ok
            corp.example.com/svc/v3    | 2026-11-27T11:59:00Z          | ok
            """)
    void aMinimumAgeQuarantinesNewVersionsExceptExemptModules(String module, String time, String expected) {
        ModulePolicy p = policy("", "", Duration.ofHours(72), "corp.example.com");
        String version = module.endsWith("/v3") ? "v3.0.0" : "v1.0.0";
        assertThat(verdict(p, module, version, time)).isEqualTo(expected);
    }

    @Test
    void refusalsSayWhyAndUntilWhenInOneShortLine() {
        ModulePolicy p = policy(DENY, "", Duration.ofHours(72), "");
        ModuleVersion crypto = ModuleVersion.of("golang.org/x/crypto", "v0.30.0");
        assertThatThrownBy(() -> p.checkVersion(crypto))
                .hasMessage(
                        "policy: golang.org/x/crypto@v0.30.0 is denied (rule 'golang.org/x/crypto <v0.31.0': CVE-2024-45337)");
        ModuleVersion fresh = ModuleVersion.of("github.com/a/b", "v1.0.0");
        byte[] info = "{\"Version\":\"v1.0.0\",\"Time\":\"2026-11-27T07:30:00Z\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> p.checkInfo(fresh, info))
                .hasMessage(
                        "policy: github.com/a/b@v1.0.0 is quarantined until "
                                + "2026-11-30T07:30:00Z: published 2026-11-27T07:30:00Z (4h30m ago); versions are served once they are 72h old");
        // The go command shows at most 8 lines of 81 characters of a server's answer.
        assertThatThrownBy(() -> p.checkInfo(fresh, info))
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(648));
    }

    @Test
    void checkVersionNeverLooksAtAgeAndNeedsInfoSaysWhenItMatters() {
        ModulePolicy p = policy("", "", Duration.ofHours(1), "corp.example.com/*");
        ModuleVersion mv = ModuleVersion.of("github.com/a/b", "v1.0.0");
        assertThatCode(() -> p.checkVersion(mv)).doesNotThrowAnyException();
        assertThat(p.needsInfo(mv)).isTrue();
        assertThat(p.needsInfo(ModuleVersion.of("corp.example.com/x/y", "v1.0.0")))
                .isFalse();
        assertThat(policy("", "", Duration.ZERO, "").needsInfo(mv)).isFalse();
        assertThat(policy("", "", Duration.ZERO, "").isEmpty()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "github.com/[a <v1.0.0",
                "github.com/a, github.com/b",
                "github.com/a <1.0",
                "github.com/a,,b",
                " <v1.0.0"
            })
    void malformedRulesAreRefusedWithTheRule(String rule) {
        assertThatThrownBy(() -> PolicyRule.parseList(rule))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("rule '");
    }

    @Test
    void rulesParseFromLinesAndSemicolonsWithNotes() {
        List<PolicyRule> rules = PolicyRule.parseList(DENY);
        assertThat(rules)
                .extracting(PolicyRule::text)
                .containsExactly(
                        "github.com/evil/*",
                        "golang.org/x/crypto <v0.31.0",
                        "example.com/lib >=v2.0.0 <v2.1.0",
                        "example.com/other =v1.0.0");
        assertThat(rules)
                .extracting(PolicyRule::note)
                .containsExactly("typosquat of github.com/evi1", "CVE-2024-45337", "", "");
        assertThatThrownBy(() -> new ModulePolicy(List.of(), List.of(), Duration.ZERO, "corp.example.com/[x", CLOCK))
                .hasMessageContaining("malformed module pattern");
    }
}
