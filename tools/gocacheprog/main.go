// Command gocacheprog is a GOCACHEPROG program (Go 1.24+) that keeps the go command's build cache
// on local disk and shares it through a Granary server: what one runner built, the next one
// downloads instead of compiling.
//
//	GOCACHEPROG="gocacheprog -url http://granary.internal:3000" go build ./...
//
// Every entry lives in a local directory first (the go command reads outputs from there). A local
// miss asks Granary (GET /gocache/cache/action/<id>); what comes back is checked against its SHA-256
// before it is used. What the go command builds is uploaded in the background (PUT
// /gocache/cache/<action>/<output>) when the token given has the write right. When Granary cannot be
// reached, the program says so once and goes on as a local cache: the build never fails because of it.
//
// Flags, each also read from an environment variable:
//
//	-url URL          Granary's base URL (GRANARY_GOCACHE_URL); empty: local cache only
//	-dir DIR          local cache directory (GRANARY_GOCACHE_DIR; default <user cache dir>/granary-gocacheprog)
//	-token-file FILE  file holding a bearer token (GRANARY_GOCACHE_TOKEN_FILE; or the token in GRANARY_GOCACHE_TOKEN)
//	-read-only        never upload, even with a token (GRANARY_GOCACHE_READ_ONLY=1)
//	-v                print what happened at the end (GRANARY_GOCACHE_VERBOSE=1)
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", os.Getenv("GRANARY_GOCACHE_URL"), "Granary's base URL; empty: local cache only")
	dir := flag.String("dir", os.Getenv("GRANARY_GOCACHE_DIR"), "local cache directory")
	tokenFile := flag.String("token-file", os.Getenv("GRANARY_GOCACHE_TOKEN_FILE"), "file holding a bearer token")
	readOnly := flag.Bool("read-only", os.Getenv("GRANARY_GOCACHE_READ_ONLY") == "1", "never upload")
	verbose := flag.Bool("v", os.Getenv("GRANARY_GOCACHE_VERBOSE") == "1", "print statistics at the end")
	timeout := flag.Duration("timeout", 60*time.Second, "bound on one request to Granary")
	flag.Parse()

	if err := run(*url, *dir, *tokenFile, *readOnly, *verbose, *timeout); err != nil {
		fmt.Fprintf(os.Stderr, "gocacheprog: %v\n", err)
		os.Exit(1)
	}
}

func run(url, dir, tokenFile string, readOnly, verbose bool, timeout time.Duration) error {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no cache directory: set -dir or GRANARY_GOCACHE_DIR (%v)", err)
		}
		dir = filepath.Join(base, "granary-gocacheprog")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	disk, err := openDisk(abs)
	if err != nil {
		return err
	}
	token := os.Getenv("GRANARY_GOCACHE_TOKEN")
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return fmt.Errorf("reading the token file: %v", err)
		}
		token = strings.TrimSpace(string(b))
	}
	var remote *remote
	if url != "" {
		remote = newRemote(url, token, readOnly, timeout, disk)
	}
	s := newServer(os.Stdin, os.Stdout, disk, remote)
	err = s.serve()
	if verbose {
		fmt.Fprintln(os.Stderr, "gocacheprog: "+s.stats())
	}
	return err
}
