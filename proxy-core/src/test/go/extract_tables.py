#!/usr/bin/env python3
"""Copies the rows of golang.org/x/mod's Go test tables, verbatim, into .gotable resources.

A .gotable file holds one Go composite literal row per line ({"x.y/z", true, true, true},) or one
bare literal ("github.com/...",); comments and blank lines are kept as they are in the Go source.
Usage: python3 extract_tables.py [/usr/share/gocode/src/golang.org/x/mod [/usr/lib/go-1.19/src [/usr/local/go/src]]]
"""
import os
import sys

MOD = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/gocode/src/golang.org/x/mod"
GOROOT_SRC = sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/go-1.19/src"
# Go's own version ordering (internal/gover) arrived with Go 1.21: read from a current Go tree.
GO_SRC = sys.argv[3] if len(sys.argv) > 3 else "/usr/local/go/src"
RES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "dev", "granary", "core")

# (output name, Go file, line that opens the table, marker of its first row line or None)
TABLES = [
    ("checkTests", "module/module_test.go", "var checkTests = []struct {", "}{"),
    ("checkPathTests", "module/module_test.go", "var checkPathTests = []struct {", "}{"),
    ("splitPathVersionTests", "module/module_test.go", "var splitPathVersionTests = []struct {", "}{"),
    ("escapeTests", "module/module_test.go", "var escapeTests = []struct {", "}{"),
    ("badUnescape", "module/module_test.go", "var badUnescape = []string{", None),
    ("matchPathMajorTests", "module/module_test.go", "func TestMatchPathMajor(t *testing.T) {", "}{"),
    ("pseudoTests", "module/pseudo_test.go", "var pseudoTests = []struct {", "}{"),
    ("invalidPseudoBaseTests", "module/pseudo_test.go", "func TestInvalidPseudoVersionBase(t *testing.T) {", "for _, in := range []string{"),
    ("incDecimalTests", "module/pseudo_test.go", "func TestIncDecimal(t *testing.T) {", "}{"),
    ("decDecimalTests", "module/pseudo_test.go", "func TestDecDecimal(t *testing.T) {", "}{"),
    ("semverTests", "semver/semver_test.go", "var tests = []struct {", "}{"),
    # Go's path.Clean, which the zip rules use to refuse unclean names.
    ("../zip/cleanTests", "$GOROOT/path/path_test.go", "var cleantests = []PathTest{", None),
    # Go's release version ordering (gover.Compare, Lang, IsLang, IsValid).
    ("goverCompareTests", "$GO/internal/gover/gover_test.go", "var compareTests = ", None),
    ("goverLangTests", "$GO/internal/gover/gover_test.go", "var langTests = ", None),
    ("goverIsLangTests", "$GO/internal/gover/gover_test.go", "var isLangTests = ", None),
    ("goverIsValidTests", "$GO/internal/gover/gover_test.go", "var isValidTests = ", None),
]


def rows(lines, opener, first):
    i = next(k for k, l in enumerate(lines) if l.strip() == opener.strip() or l.startswith(opener))
    if first is not None:
        i = next(k for k in range(i, len(lines)) if lines[k].strip().endswith(first))
    out = []
    for line in lines[i + 1:]:
        s = line.strip()
        if s.startswith("}") and not s.startswith("},") and not s.startswith("{"):
            break
        out.append(s)
    return out


for name, src, opener, first in TABLES:
    if src.startswith("$GO/"):
        file, origin = os.path.join(GO_SRC, src[len("$GO/"):]), "Go src/" + src[len("$GO/"):]
    elif src.startswith("$GOROOT/"):
        file, origin = os.path.join(GOROOT_SRC, src[len("$GOROOT/"):]), "Go 1.19 src/" + src[len("$GOROOT/"):]
    else:
        file, origin = os.path.join(MOD, src), "golang.org/x/mod " + src
    with open(file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    body = rows(lines, opener, first)
    out = os.path.normpath(os.path.join(RES, "module", name + ".gotable"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("// " + origin + ": rows of " + opener.rstrip(" {") + "\n")
        f.write("\n".join(body).rstrip("\n") + "\n")
    print(name, len([b for b in body if b and not b.startswith("//")]))
