// Command gensums computes, with the reference implementation golang.org/x/mod, the expected
// results for Granary's Java tests over the go command's txtar test modules:
// for each module, the h1 of its zip (dirhash.HashZip), the h1 of its go.mod (go.sum "/go.mod" line)
// and the verdict of zip.CheckZip.
//
// The zip of a txtar module is built as cmd/go/proxy_test.go serves it: every file except .info, .mod
// and .zip, in archive order, named path@version/name (or name without its leading slash when it has one).
//
// Usage (offline, see README.md next to this file):
//
//	go run . ../../resources/dev/granary/core/zip/gomod > ../../resources/dev/granary/core/zip/gomod-sums.tsv
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gensums <dir of txtar modules>")
		os.Exit(2)
	}
	dir := os.Args[1]
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		fatal(err)
	}
	sort.Strings(names)
	tmp, err := os.MkdirTemp("", "gensums")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)

	fmt.Println("# file\tpath\tversion\tzip_h1\tgomod_h1\tcheckzip (ok or Go's error, newlines as \\n)")
	for _, name := range names {
		base := strings.TrimSuffix(filepath.Base(name), ".txt")
		i := strings.LastIndex(base, "_")
		if i < 0 {
			continue
		}
		path, err := module.UnescapePath(strings.ReplaceAll(base[:i], "_", "/"))
		if err != nil {
			fmt.Fprintf(os.Stderr, "skip %s: %v\n", base, err)
			continue
		}
		vers, err := module.UnescapeVersion(base[i+1:])
		if err != nil {
			fmt.Fprintf(os.Stderr, "skip %s: %v\n", base, err)
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			fatal(err)
		}
		files := parseTxtar(data)

		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		var gomod []byte
		haveMod := false
		for _, f := range files {
			switch f.name {
			case ".mod":
				gomod, haveMod = f.data, true
				continue
			case ".info", ".zip":
				continue
			}
			zipName := path + "@" + vers + "/" + f.name
			if strings.HasPrefix(f.name, "/") {
				zipName = f.name[1:]
			}
			w, err := zw.Create(zipName)
			if err != nil {
				fatal(err)
			}
			w.Write(f.data)
		}
		if err := zw.Close(); err != nil {
			fatal(err)
		}
		zipPath := filepath.Join(tmp, base+".zip")
		if err := os.WriteFile(zipPath, buf.Bytes(), 0o666); err != nil {
			fatal(err)
		}
		zipH1, err := dirhash.HashZip(zipPath, dirhash.Hash1)
		if err != nil {
			fatal(err)
		}
		modH1 := "-"
		if haveMod {
			modH1, err = dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(gomod)), nil
			})
			if err != nil {
				fatal(err)
			}
		}
		verdict := "ok"
		if _, err := modzip.CheckZip(module.Version{Path: path, Version: vers}, zipPath); err != nil {
			verdict = strings.ReplaceAll(err.Error(), "\n", `\n`)
		}
		fmt.Printf("%s\t%s\t%s\t%s\t%s\t%s\n", filepath.Base(name), path, vers, zipH1, modH1, verdict)
	}
}

type file struct {
	name string
	data []byte
}

// parseTxtar follows golang.org/x/tools/txtar: a comment, then files introduced by "-- name --" lines;
// a final line without newline gets one.
func parseTxtar(data []byte) []file {
	var files []file
	_, name, rest := findMarker(data)
	for name != "" {
		f := file{name: name}
		f.data, name, rest = findMarker(rest)
		files = append(files, f)
	}
	return files
}

func findMarker(data []byte) (before []byte, name string, after []byte) {
	i := 0
	for {
		if name, after = isMarker(data[i:]); name != "" {
			return data[:i], name, after
		}
		j := bytes.Index(data[i:], []byte("\n-- "))
		if j < 0 {
			if len(data) > 0 && data[len(data)-1] != '\n' {
				data = append(append([]byte(nil), data...), '\n')
			}
			return data, "", nil
		}
		i += j + 1
	}
}

func isMarker(data []byte) (name string, after []byte) {
	if !bytes.HasPrefix(data, []byte("-- ")) {
		return "", nil
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data, after = data[:i], data[i+1:]
	}
	if !(bytes.HasSuffix(data, []byte(" --")) && len(data) >= len("-- ")+len(" --")) {
		return "", nil
	}
	return strings.TrimSpace(string(data[len("-- ") : len(data)-len(" --")])), after
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
