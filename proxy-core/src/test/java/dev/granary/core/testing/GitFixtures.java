package dev.granary.core.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test repositories of the git tests, served by a {@link GitTestServer}: every shape the go command's
 * versioning has rules for. Module paths are {@code <server host>/<repo>[/...]}.
 * <ul>
 *   <li>{@code plain}: lightweight and annotated tags, a pre-release, a branch {@code dev} with untagged
 *       commits after v1.1.0 and a branch {@code pre} after v1.2.0-rc.1 (pseudo-version forms 2 and 3), files
 *       with {@code export-subst}, {@code export-ignore}, {@code ident} and {@code eol=crlf} attributes, a
 *       symlink, an executable, a vendor directory and a nested module.</li>
 *   <li>{@code untagged}: no tags at all (pseudo-version form 1).</li>
 *   <li>{@code mono}: a module in {@code sub/} with prefixed tags {@code sub/v1.0.0}, {@code sub/v1.1.0}, without
 *       its own LICENSE (the root's is added), and commits after them.</li>
 *   <li>{@code major}: v1 at the root, then {@code module .../major/v2} with v2 tags, and a {@code v3/}
 *       subdirectory module tagged v3.0.0.</li>
 *   <li>{@code incompat}: no go.mod, tags v1.0.0, v2.0.0 and v2.1.0 ({@code +incompatible}).</li>
 *   <li>{@code private/secret}: behind basic auth.</li>
 *   <li>{@code git/dotgit.git}: found by the {@code .git} suffix form, no meta tag.</li>
 *   <li>{@code group/sub/proj}: a GitLab-style project in a subgroup, whose meta tag is right only when asked
 *       with credentials.</li>
 *   <li>{@code empty}: no commits at all.</li>
 *   <li>{@code modern}: {@code go 1.24} with {@code vendor/modules.txt} and a {@code pkg/vendor/} package: the
 *       vendor rules that changed in Go 1.24 (compared only with a Go that has them).</li>
 * </ul>
 */
public final class GitFixtures {
    public static final String USER = "gopher";
    public static final String PASSWORD = "s3cr3t-t0ken-value";

    private final GitTestServer server;
    private final Map<String, GitRepo> repos = new LinkedHashMap<>();
    /** Commits worth querying by hash, by name. */
    public final Map<String, String> commits = new LinkedHashMap<>();

    private GitFixtures(GitTestServer server) {
        this.server = server;
    }

    /** Builds the repositories under {@code root} and serves them. */
    public static GitFixtures start(Path root) throws IOException {
        GitTestServer server = new GitTestServer(root, USER, PASSWORD, null);
        GitFixtures f = new GitFixtures(server);
        String host = server.host();
        server.setMeta((path, authorized) -> {
            String[] e = path.split("/");
            if (e.length == 0 || e[0].isEmpty()) {
                return null;
            }
            if (e[0].equals("group")) {
                // GitLab: a project in a subgroup is only named right to a client that may see it; others are
                // told the first two elements are the repository.
                return authorized
                        ? host + "/group/sub/proj git " + server.repoUrl("group/sub/proj")
                        : host + "/group/sub git " + server.repoUrl("group/sub");
            }
            if (e[0].equals("secret")) {
                return host + "/secret git " + server.repoUrl("private/secret");
            }
            // Hostile meta tags: other transports, paths that climb out, credentials in the URL.
            switch (e[0]) {
                case "evil-ext" -> {
                    return host + "/evil-ext git ext::sh%20-c%20touch%20/tmp/granary-pwned";
                }
                case "evil-dots" -> {
                    return host + "/evil-dots git http://" + host + "/git/plain/../private/secret";
                }
                case "evil-file" -> {
                    return host + "/evil-file git file:///etc";
                }
                case "evil-userinfo" -> {
                    return host + "/evil-userinfo git http://user:pass@" + host + "/git/plain";
                }
                default -> {}
            }
            if (!f.repos.containsKey(e[0])) {
                return null;
            }
            return host + "/" + e[0] + " git " + server.repoUrl(e[0]);
        });
        f.build(root, host);
        return f;
    }

    public GitTestServer server() {
        return server;
    }

    public String host() {
        return server.host();
    }

    /** The module path {@code <host>/<rest>}. */
    public String module(String rest) {
        return host() + "/" + rest;
    }

    public GitRepo repo(String name) {
        return repos.get(name);
    }

    private void build(Path root, String host) throws IOException {
        String license = "Copyright the authors. Test license.\n";

        GitRepo plain = GitRepo.init(root.resolve("plain"));
        repos.put("plain", plain);
        plain.write("go.mod", "module " + host + "/plain\n\ngo 1.16\n")
                .write(
                        "plain.go",
                        "package plain\n\n// Hello greets.\nfunc Hello() string { return \"hello v1.0.0\" }\n")
                .write("LICENSE", license);
        plain.commit("v1.0.0");
        plain.tag("v1.0.0");
        plain.write("plain.go", "package plain\n\n// Hello greets.\nfunc Hello() string { return \"hello v1.1.0\" }\n")
                .write(
                        ".gitattributes",
                        "subst.txt export-subst\nignored/** export-ignore\nid.txt ident\n*.crlf text eol=crlf\nauto.txt text=auto eol=crlf\n")
                .write("subst.txt", "commit $Format:%H$ at $Format:%ci$\n")
                .write("ignored/note.txt", "export-ignore does not apply to the go command's zips\n")
                .write("id.txt", "id: $Id$\n")
                .write("lines.crlf", "one\ntwo\r\nthree\n")
                .write("auto.txt", "auto\nconverted\n")
                .executable("tool.sh", "#!/bin/sh\necho tool\n")
                .symlink("link.go", "plain.go")
                .write("vendor/modules.txt", "# example.com/v v1.0.0\n")
                .write("vendor/example.com/v/v.go", "package v\n")
                .write("internal/vendor/inner.go", "package vendor\n")
                .write("nested/go.mod", "module " + host + "/plain/nested\n\ngo 1.16\n")
                .write("nested/n.go", "package nested\n");
        plain.commit("v1.1.0");
        plain.annotatedTag("v1.1.0");
        plain.git("checkout", "-q", "-b", "dev");
        plain.write("dev.go", "package plain\n\nconst Dev = 1\n");
        commits.put("plain-dev-1", plain.commit("dev 1"));
        plain.write("dev.go", "package plain\n\nconst Dev = 2\n");
        commits.put("plain-dev-2", plain.commit("dev 2"));
        plain.git("checkout", "-q", "main");
        plain.write(
                "plain.go",
                "package plain\n\n// Hello greets.\nfunc Hello() string { return \"hello v1.2.0-rc.1\" }\n");
        plain.commit("v1.2.0-rc.1");
        plain.tag("v1.2.0-rc.1");
        plain.git("checkout", "-q", "-b", "pre");
        plain.write("pre.go", "package plain\n\nconst Pre = 1\n");
        commits.put("plain-pre", plain.commit("after rc"));
        plain.git("checkout", "-q", "main");

        GitRepo untagged = GitRepo.init(root.resolve("untagged"));
        repos.put("untagged", untagged);
        untagged.write("go.mod", "module " + host + "/untagged\n\ngo 1.16\n").write("u.go", "package untagged\n");
        untagged.commit("first");
        untagged.write("u.go", "package untagged\n\nconst U = 2\n");
        commits.put("untagged-head", untagged.commit("second"));

        GitRepo mono = GitRepo.init(root.resolve("mono"));
        repos.put("mono", mono);
        mono.write("LICENSE", license)
                .write("README", "monorepo\n")
                .write("sub/go.mod", "module " + host + "/mono/sub\n\ngo 1.16\n")
                .write("sub/sub.go", "package sub\n\n// Version names the release.\nconst Version = \"1.0.0\"\n")
                .write("other/o.go", "package other\n");
        mono.commit("sub v1.0.0");
        mono.tag("sub/v1.0.0");
        mono.write("sub/sub.go", "package sub\n\n// Version names the release.\nconst Version = \"1.1.0\"\n");
        mono.commit("sub v1.1.0");
        mono.tag("sub/v1.1.0");
        mono.tag("v9.9.9"); // a root tag that is not the sub module's
        mono.write("sub/more.go", "package sub\n\nconst More = true\n");
        commits.put("mono-head", mono.commit("after sub v1.1.0"));

        GitRepo major = GitRepo.init(root.resolve("major"));
        repos.put("major", major);
        major.write("go.mod", "module " + host + "/major\n\ngo 1.16\n").write("m.go", "package major\n\nconst V = 1\n");
        major.commit("v1");
        major.tag("v1.0.0");
        major.write("go.mod", "module " + host + "/major/v2\n\ngo 1.16\n")
                .write("m.go", "package major\n\nconst V = 2\n");
        major.commit("v2.0.0");
        major.tag("v2.0.0");
        major.write("m.go", "package major\n\nconst V = 21\n");
        major.commit("v2.1.0");
        major.tag("v2.1.0");
        major.write("v3/go.mod", "module " + host + "/major/v3\n\ngo 1.16\n")
                .write("v3/m.go", "package major\n\nconst V = 3\n");
        major.commit("v3 in a subdirectory");
        major.tag("v3.0.0");
        major.write("v3/m.go", "package major\n\nconst V = 31\n");
        commits.put("major-head", major.commit("after v3.0.0"));

        GitRepo incompat = GitRepo.init(root.resolve("incompat"));
        repos.put("incompat", incompat);
        incompat.write("i.go", "package incompat\n\nconst V = 1\n");
        incompat.commit("v1.0.0");
        incompat.tag("v1.0.0");
        incompat.write("i.go", "package incompat\n\nconst V = 2\n");
        incompat.commit("v2.0.0");
        incompat.tag("v2.0.0");
        incompat.write("i.go", "package incompat\n\nconst V = 21\n");
        incompat.commit("v2.1.0");
        incompat.tag("v2.1.0");

        GitRepo secret = GitRepo.init(root.resolve("private/secret"));
        repos.put("secret", secret);
        secret.write("go.mod", "module " + host + "/secret\n\ngo 1.16\n")
                .write("s.go", "package secret\n\nconst S = \"private\"\n");
        secret.commit("v1.0.0");
        secret.tag("v1.0.0");

        GitRepo dotgit = GitRepo.init(root.resolve("dotgit"));
        repos.put("dotgit", dotgit);
        dotgit.write("go.mod", "module " + host + "/git/dotgit.git\n\ngo 1.16\n")
                .write("d.go", "package dotgit\n");
        dotgit.commit("v1.0.0");
        dotgit.tag("v1.0.0");

        GitRepo proj = GitRepo.init(root.resolve("group/sub/proj"));
        repos.put("proj", proj);
        proj.write("go.mod", "module " + host + "/group/sub/proj\n\ngo 1.16\n").write("p.go", "package proj\n");
        proj.commit("v1.0.0");
        proj.tag("v1.0.0");

        repos.put("empty", GitRepo.init(root.resolve("empty")));

        GitRepo modern = GitRepo.init(root.resolve("modern"));
        repos.put("modern", modern);
        modern.write("go.mod", "module " + host + "/modern\n\ngo 1.24\n")
                .write("m.go", "package modern\n")
                .write("vendor/modules.txt", "# example.com/v v1.0.0\n")
                .write("vendor/example.com/v/v.go", "package v\n")
                .write("pkg/vendor/vendor.go", "package vendor\n")
                .write("pkg/vendor/deep/d.go", "package deep\n");
        modern.commit("v1.0.0");
        modern.tag("v1.0.0");
    }

    /** Module@query pairs to compare with the go command, every versioning rule at least once. */
    public List<String> queries() {
        return List.of(
                module("plain") + "@v1.0.0",
                module("plain") + "@v1.1.0",
                module("plain") + "@v1.2.0-rc.1",
                module("plain") + "@dev",
                module("plain") + "@" + commits.get("plain-dev-1").substring(0, 12),
                module("plain") + "@pre",
                module("plain") + "@latest",
                module("untagged") + "@latest",
                module("untagged") + "@main",
                module("mono/sub") + "@v1.0.0",
                module("mono/sub") + "@latest",
                module("mono/sub") + "@main",
                module("major") + "@v1.0.0",
                module("major/v2") + "@v2.0.0",
                module("major/v2") + "@latest",
                module("major/v3") + "@v3.0.0",
                module("major/v3") + "@main",
                module("incompat") + "@v1.0.0",
                module("incompat") + "@v2.1.0+incompatible",
                module("incompat") + "@latest",
                module("secret") + "@v1.0.0",
                module("git/dotgit.git") + "@v1.0.0",
                module("modern") + "@v1.0.0");
    }

    /** Queries whose answer depends on rules newer than Go 1.19 (the go 1.24 vendor rules). */
    public static boolean needsGo124(String query) {
        return query.contains("/modern@");
    }

    /** Modules whose version lists are compared. */
    public List<String> modules() {
        return List.of(
                module("plain"),
                module("untagged"),
                module("mono/sub"),
                module("major"),
                module("major/v2"),
                module("major/v3"),
                module("incompat"),
                module("secret"),
                module("git/dotgit.git"));
    }

    public void close() {
        server.close();
    }
}
