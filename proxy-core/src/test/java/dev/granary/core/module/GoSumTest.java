package dev.granary.core.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.granary.core.ProxyException;
import java.util.List;
import org.junit.jupiter.api.Test;

class GoSumTest {
    private static final String TEXT = """
            golang.org/x/text v0.3.0 h1:g61tztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=
            golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=
            rsc.io/quote v1.5.2/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=

            github.com/Azure/go-autorest v14.2.0+incompatible h1:V5VMDjClD3GiElqLWO7mz2MxNAK/vTfRHdAubSIPRgs=
            """;

    @Test
    void parsesOneEntryPerVersionKeepingEachHashKind() {
        List<GoSum> sums = GoSum.parse(TEXT);

        assertThat(sums)
                .extracting(s -> s.version().toString())
                .containsExactly(
                        "golang.org/x/text@v0.3.0",
                        "rsc.io/quote@v1.5.2",
                        "github.com/Azure/go-autorest@v14.2.0+incompatible");
        assertThat(sums.get(0).zipH1()).isEqualTo("h1:g61tztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=");
        assertThat(sums.get(0).modH1()).isEqualTo("h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=");
        assertThat(sums.get(1).zipH1()).isNull();
        assertThat(sums.get(2).modH1()).isNull();
    }

    @Test
    void formatsBackToTheSameLines() {
        for (GoSum s : GoSum.parse(TEXT)) {
            assertThat(GoSum.parse(s.text())).containsExactly(s);
            assertThat(TEXT).contains(s.text());
        }
    }

    @Test
    void findsTheEntryOfOneVersion() {
        assertThat(GoSum.find(TEXT, ModuleVersion.of("rsc.io/quote", "v1.5.2")).modH1())
                .startsWith("h1:LzX7");
        assertThat(GoSum.find(TEXT, ModuleVersion.of("rsc.io/quote", "v1.5.1"))).isNull();
    }

    @Test
    void malformedLinesAndInvalidVersionsAreRefusedNamingTheLine() {
        assertThatThrownBy(() -> GoSum.parse("rsc.io/quote v1.5.2\n"))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("line 1");
        assertThatThrownBy(() -> GoSum.parse("\nrsc.io/quote v1.5 h1:x=\n"))
                .isInstanceOf(ProxyException.class)
                .hasMessageContaining("line 2");
        assertThatThrownBy(() -> GoSum.of(ModuleVersion.of("rsc.io/quote", "v1.5.2"), null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
