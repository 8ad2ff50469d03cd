// Command graph writes a module graph for benchmarking build caches: a GOPROXY directory tree of
// generated dependency modules (each with several packages that import each other, the previous
// module's packages and a rotating share of the standard library) and a project that depends on
// all of them, with a test-only dependency.
//
//	go run ./graph -out DIR [-modules 14] [-packages 9] [-funcs 40]
//
// DIR/proxy is the GOPROXY tree (file:// or behind Granary), DIR/app the project.
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

var std = []string{"encoding/json", "net/http", "text/template", "regexp", "crypto/sha256", "compress/gzip",
	"database/sql", "html/template", "net/url", "math/big", "encoding/xml", "archive/tar", "crypto/tls",
	"go/parser", "image/png", "text/tabwriter", "net/mail", "os/exec"}

const version = "v1.0.0"

func main() {
	out := flag.String("out", "", "output directory")
	modules := flag.Int("modules", 14, "dependency modules")
	packages := flag.Int("packages", 9, "packages per module")
	funcs := flag.Int("funcs", 40, "functions per package")
	flag.Parse()
	if *out == "" {
		log.Fatal("-out is required")
	}
	proxy := filepath.Join(*out, "proxy")
	var top []string
	for m := 0; m < *modules; m++ {
		path := fmt.Sprintf("bench.example/dep%02d", m)
		files := map[string]string{}
		gomod := fmt.Sprintf("module %s\n\ngo 1.19\n", path)
		if m > 0 {
			gomod += fmt.Sprintf("\nrequire bench.example/dep%02d %s\n", m-1, version)
		}
		files["go.mod"] = gomod
		for p := 0; p < *packages; p++ {
			var imports []string
			if p > 0 {
				imports = append(imports, fmt.Sprintf("%s/p%d", path, p-1))
			}
			if m > 0 {
				imports = append(imports, fmt.Sprintf("bench.example/dep%02d/p%d", m-1, p))
			}
			imports = append(imports, std[(m*7+p)%len(std)], std[(m*3+p*5+1)%len(std)])
			files[fmt.Sprintf("p%d/p%d.go", p, p)] = source(fmt.Sprintf("p%d", p), imports, *funcs, m*100+p)
		}
		write(proxy, path, files)
		top = append(top, fmt.Sprintf("%s/p%d", path, *packages-1))
	}
	testdep := map[string]string{"go.mod": "module bench.example/testdep\n\ngo 1.19\n"}
	for p := 0; p < 3; p++ {
		testdep[fmt.Sprintf("t%d/t%d.go", p, p)] = source(fmt.Sprintf("t%d", p), []string{"testing", "encoding/json"}, *funcs, 9000+p)
	}
	write(proxy, "bench.example/testdep", testdep)

	app := filepath.Join(*out, "app")
	gomod := "module bench.example/app\n\ngo 1.19\n\nrequire (\n"
	for m := 0; m < *modules; m++ {
		gomod += fmt.Sprintf("\tbench.example/dep%02d %s\n", m, version)
	}
	gomod += "\tbench.example/testdep " + version + "\n)\n"
	must(os.MkdirAll(filepath.Join(app, "cmd/app"), 0o755))
	must(os.WriteFile(filepath.Join(app, "go.mod"), []byte(gomod), 0o644))
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n\n")
	for i, t := range top {
		fmt.Fprintf(&b, "\tm%d %q\n", i, t)
	}
	b.WriteString(")\n\nfunc main() {\n\tn := 0\n")
	for i := range top {
		fmt.Fprintf(&b, "\tn += m%d.F0(%d)\n", i, i)
	}
	b.WriteString("\tfmt.Println(n)\n}\n")
	must(os.WriteFile(filepath.Join(app, "cmd/app/main.go"), []byte(b.String()), 0o644))
	must(os.WriteFile(filepath.Join(app, "app.go"), []byte(source("app", []string{top[0], "strings"}, *funcs, 1)), 0o644))
	test := "package app\n\nimport (\n\t\"testing\"\n\n\t\"bench.example/testdep/t2\"\n)\n\nfunc TestF(t *testing.T) {\n\tif F0(1)+t2.F0(1) < -1<<62 {\n\t\tt.Fatal(\"unreachable\")\n\t}\n}\n"
	must(os.WriteFile(filepath.Join(app, "app_test.go"), []byte(test), 0o644))
}

// source is a package with some weight: types with methods, a generic function, tables and
// switches, and a use of every import.
func source(name string, imports []string, funcs, seed int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Package %s is synthetic benchmark code.\npackage %s\n\nimport (\n", name, name)
	for i, imp := range imports {
		fmt.Fprintf(&b, "\tx%d %q\n", i, imp)
	}
	b.WriteString(")\n\n")
	for i, imp := range imports {
		fmt.Fprintf(&b, "var _ = %s\n", use(fmt.Sprintf("x%d", i), imp))
	}
	fmt.Fprintf(&b, "\n// Number is a generic sum.\nfunc Number[T ~int | ~int64 | ~float64](xs ...T) T {\n\tvar s T\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}\n\n")
	for f := 0; f < funcs; f++ {
		fmt.Fprintf(&b, "type T%d struct {\n\tA, B int\n\tS string\n\tM map[string][]int\n}\n\n", f)
		fmt.Fprintf(&b, "func (t *T%d) Sum() int {\n\ts := t.A + t.B + len(t.S)\n\tfor k, v := range t.M {\n\t\ts += len(k) + Number(v...)\n\t}\n\treturn s\n}\n\n", f)
		fmt.Fprintf(&b, "func F%d(n int) int {\n\tt := &T%d{A: n, B: %d, S: %q, M: map[string][]int{%q: {1, 2, %d}}}\n\tswitch n %% 7 {\n", f, f, seed+f, strings.Repeat("x", f%13), fmt.Sprint("k", f), f)
		for c := 0; c < 7; c++ {
			fmt.Fprintf(&b, "\tcase %d:\n\t\tt.A += %d * n\n", c, (seed+f+c)%97)
		}
		b.WriteString("\t}\n\treturn t.Sum()\n}\n\n")
	}
	return b.String()
}

// use is an expression that refers to a package, so that the import is used.
func use(alias, path string) string {
	switch path {
	case "encoding/json":
		return alias + ".Marshal"
	case "net/http":
		return alias + ".StatusOK"
	case "text/template", "html/template":
		return alias + ".New"
	case "regexp":
		return alias + ".MustCompile"
	case "crypto/sha256":
		return alias + ".Sum256"
	case "compress/gzip":
		return alias + ".NewReader"
	case "database/sql":
		return alias + ".Open"
	case "net/url":
		return alias + ".Parse"
	case "math/big":
		return alias + ".NewInt"
	case "encoding/xml":
		return alias + ".Marshal"
	case "archive/tar":
		return alias + ".NewReader"
	case "crypto/tls":
		return alias + ".Dial"
	case "go/parser":
		return alias + ".ParseExpr"
	case "image/png":
		return alias + ".Decode"
	case "text/tabwriter":
		return alias + ".NewWriter"
	case "net/mail":
		return alias + ".ParseAddress"
	case "os/exec":
		return alias + ".Command"
	case "testing":
		return alias + ".Short"
	case "strings":
		return alias + ".ToUpper"
	}
	return alias + ".F0"
}

func write(proxy, path string, files map[string]string) {
	dir := filepath.Join(proxy, path, "@v")
	must(os.MkdirAll(dir, 0o755))
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": "2026-01-01T00:00:00Z"})
	must(os.WriteFile(filepath.Join(dir, version+".info"), info, 0o644))
	must(os.WriteFile(filepath.Join(dir, version+".mod"), []byte(files["go.mod"]), 0o644))
	must(os.WriteFile(filepath.Join(dir, "list"), []byte(version+"\n"), 0o644))
	f, err := os.Create(filepath.Join(dir, version+".zip"))
	must(err)
	z := zip.NewWriter(f)
	for name, content := range files {
		w, err := z.Create(path + "@" + version + "/" + name)
		must(err)
		_, err = w.Write([]byte(content))
		must(err)
	}
	must(z.Close())
	must(f.Close())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
