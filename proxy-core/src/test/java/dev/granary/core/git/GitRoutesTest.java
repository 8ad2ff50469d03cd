package dev.granary.core.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GitRoutesTest {

    @Test
    void routesParseWithSourcesOptionsAndCredentials() {
        GitRoutes r = GitRoutes.parse("""
                # private code
                git.corp.example/*   https://git.corp.example/{1}.git   token-env=CORP_TOKEN user=ci
                go.corp.example      go-get   netrc=/etc/granary/netrc
                *.lab.example        insecure
                """, Map.of("CORP_TOKEN", "tok"));
        assertThat(r.routes()).hasSize(3);
        assertThat(r.patterns()).isEqualTo("git.corp.example/*,go.corp.example,*.lab.example");
        GitRoutes.Route first = r.match("git.corp.example/team/lib/v2").orElseThrow();
        assertThat(first.template()).contains("https://git.corp.example/{1}.git");
        assertThat(first.credentials().authorization("git.corp.example")).contains("Basic Y2k6dG9r");
        assertThat(first.credentials().toString()).contains("CORP_TOKEN").doesNotContain("tok ");
        assertThat(r.match("go.corp.example/x").orElseThrow().credentials())
                .isEqualTo(new GitCredentials.Netrc(Path.of("/etc/granary/netrc")));
        GitRoutes.Route lab = r.match("a.lab.example/x").orElseThrow();
        assertThat(lab.template()).isEmpty();
        assertThat(lab.insecure()).isTrue();
        assertThat(r.match("github.com/x/y")).isEmpty();
        assertThat(GitRoutes.parse("a.example https://a.example/{path};b.example", Map.of())
                        .routes())
                .hasSize(2);
    }

    @ParameterizedTest
    @CsvSource({
        "https://git.corp.example/{1}.git, git.corp.example/team, https://git.corp.example/team.git",
        "https://h/{root}, git.corp.example/team, https://h/git.corp.example/team",
        "https://h/go/{path}, git.corp.example/a/b, https://h/go/a/b",
        "https://h/{2}/{1}, git.corp.example/a/b, https://h/b/a",
    })
    void templatesExpand(String template, String root, String url) {
        assertThat(GitRoutes.expand(template, root)).isEqualTo(url);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "a.example ssh://git@a.example/x.git",
                "a.example file:///srv/git/{1}",
                "a.example http://a.example/{1}",
                "a.example/* https://a.example/{2}",
                "a.example https://user:pw@a.example/x",
                "a.example https://a.example/../x",
                "a.example go-get token-file=/a token-env=B",
                "a.example go-get bogus",
                "a.example,b.example",
                "a.example go-get user=",
                "a.example https://a.example/x ssh-key=/k",
                "a.example go-get known-hosts=/k",
                "a.example ssh://git@a.example/x netrc",
            })
    void badRoutesAreRefusedAtParseTime(String route) {
        assertThatThrownBy(() -> GitRoutes.parse(route, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("git.routes: '");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ext::sh -c touch% /tmp/pwned",
                "ext::sh",
                "file:///etc",
                "ssh://git:pw@h/x",
                "git@h:x.git",
                "git://h/x",
                "-uhttps://h/x",
                "https://h/a/../b",
                "https://h/a/%2e%2e/b",
                "https://u:p@h/x",
                "https:///x",
                "https://h/x?y=1",
                "http://h/x",
            })
    void hostileRepositoryUrlsAreRefused(String url) {
        assertThatThrownBy(() -> GitRoutes.checkRepositoryUrl(url, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sshRoutesTakeAKeyAndKnownHosts() {
        GitRoutes r = GitRoutes.parse(
                "a.example/* ssh://git@a.example:2222/{1}.git ssh-key=/keys/id known-hosts=/keys/kh", Map.of());
        assertThat(r.routes().get(0).credentials())
                .isEqualTo(new GitCredentials.SshKey(Path.of("/keys/id"), Path.of("/keys/kh")));
        GitRoutes d =
                GitRoutes.parse("a.example/* ssh://git@a.example/{1}.git ssh-key=/keys/id", Map.of("HOME", "/home/g"));
        assertThat(d.routes().get(0).credentials())
                .isEqualTo(new GitCredentials.SshKey(Path.of("/keys/id"), Path.of("/home/g/.ssh/known_hosts")));
        assertThat(GitRoutes.checkRepositoryUrl("ssh://git@h.example/x.git", false)
                        .getUserInfo())
                .isEqualTo("git");
    }

    @Test
    void httpNeedsInsecure() {
        assertThat(GitRoutes.checkRepositoryUrl("http://h/x", true).getScheme()).isEqualTo("http");
        assertThat(GitRoutes.checkRepositoryUrl("https://h.example:8443/a/b.git", false)
                        .getPort())
                .isEqualTo(8443);
    }
}
