package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModulePatternsTest {

    // golang.org/x/mod/module/module_test.go: TestMatchPrefixPatterns
    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "''            | rsc.io/quote    | false",
                "/             | rsc.io/quote    | false",
                "*/quote       | rsc.io/quote    | true",
                "*/quo         | rsc.io/quote    | false",
                "*/quo??       | rsc.io/quote    | true",
                "*/quo*        | rsc.io/quote    | true",
                "*quo*         | rsc.io/quote    | false",
                "rsc.io        | rsc.io/quote    | true",
                "*.io          | rsc.io/quote    | true",
                "rsc.io/       | rsc.io/quote    | true",
                "rsc           | rsc.io/quote    | false",
                "rsc*          | rsc.io/quote    | true",
                "rsc.io        | rsc.io/quote/v3 | true",
                "*/quote       | rsc.io/quote/v3 | true",
                "*/quote/      | rsc.io/quote/v3 | true",
                "*/quote/*     | rsc.io/quote/v3 | true",
                "*/quote/*/    | rsc.io/quote/v3 | true",
                "*/v3          | rsc.io/quote/v3 | false",
                "*/*/v3        | rsc.io/quote/v3 | true",
                "*/*/*         | rsc.io/quote/v3 | true",
                "*/*/*/        | rsc.io/quote/v3 | true",
                "*/*/*         | rsc.io/quote    | false",
                "*/*/*/        | rsc.io/quote    | false",
                "'*/*/*,,'     | rsc.io/quote    | false",
                "'*/*/*,,*/quote' | rsc.io/quote | true",
                "',,*/quote'   | rsc.io/quote    | true",
            })
    void matchPrefixPatterns(String globs, String target, boolean want) {
        assertThat(ModulePatterns.matchPrefixPatterns(globs, target)).isEqualTo(want);
    }

    // A few of Go's path.Match cases (path/match_test.go).
    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "abc       | abc     | true",
                "*         | abc     | true",
                "*c        | abc     | true",
                "a*        | a       | true",
                "a*        | ab/c    | false",
                "a*/b      | abc/b   | true",
                "a*b*c*d*e*/f | axbxcxdxe/f | true",
                "a*b*c*d*e*/f | axbxcxdxexxx/f | true",
                "a*b*c*d*e*/f | axbxcxdxe/xxx/f | false",
                "ab[c]     | abc     | true",
                "ab[b-d]   | abc     | true",
                "ab[e-g]   | abc     | false",
                "ab[^c]    | abc     | false",
                "ab[^b-d]  | abc     | false",
                "ab[^e-g]  | abc     | true",
                "a\\*b     | a*b     | true",
                "a\\*b     | ab      | false",
                "a?b       | a☺b     | true",
                "a?b       | a/b     | false",
                "[a-ζ]*    | α       | true",
                "*[a-ζ]    | A       | false",
                "a[        | a       | false",
                "*x        | xxx     | true",
            })
    void pathMatch(String pattern, String name, boolean want) {
        assertThat(ModulePatterns.match(pattern, name)).isEqualTo(want);
    }
}
