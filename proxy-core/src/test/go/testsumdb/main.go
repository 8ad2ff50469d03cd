// Command testsumdb is a small but real Go checksum database (go.dev/ref/mod#checksum-database)
// for Granary's tests. It is built from golang.org/x/mod/sumdb (the HTTP protocol handler),
// golang.org/x/mod/sumdb/tlog (the Merkle tree) and golang.org/x/mod/sumdb/note (signed notes),
// so the Java client is checked against the reference implementation, not against itself.
//
// Records come from a directory laid out as a GOPROXY tree (-proxy DIR): for every
// <escaped-module>/@v/<escaped-version>.mod (and .zip, when present) it computes the go.sum
// lines with golang.org/x/mod/sumdb/dirhash, exactly as sum.golang.org would. The modules found
// at startup are logged in sorted order; a lookup of a module@version not yet logged rescans the
// directory and appends it, so a test can grow the tree by adding files.
//
// With -fork the tree is deliberately inconsistent with the honest one for the same directory
// (records in reverse order plus one extra record) while being signed by the same key (-key),
// which is what a client must detect as a fork.
//
// On startup it prints, one per line: addr=HOST:PORT, vkey=<verifier key>, skey=<signer key>,
// size=<records>. It serves until killed.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	proxyDir = flag.String("proxy", "", "GOPROXY-layout directory to compute records from")
	gosum    = flag.String("gosum", "", "file of go.sum lines to log instead of (or in addition to) -proxy")
	listen   = flag.String("listen", "127.0.0.1:0", "address to listen on")
	name     = flag.String("name", "testsumdb.granary.test", "database name (for a generated key)")
	skey     = flag.String("key", "", "signer key (PRIVATE+KEY+...); generated when empty")
	fork     = flag.Bool("fork", false, "serve an inconsistent (forked) tree signed with the same key")
)

// db is a ServerOps backed by an in-memory tlog.
type db struct {
	signer note.Signer

	mu      sync.Mutex
	hashes  hashes
	records [][]byte
	lookup  map[string]int64 // "path@version" -> record id
}

type hashes []tlog.Hash

func (h hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("hash index %d out of range", x)
		}
		out[i] = h[x]
	}
	return out, nil
}

func (d *db) add(key string, text []byte) {
	id := int64(len(d.records))
	hs, err := tlog.StoredHashes(id, text, d.hashes)
	if err != nil {
		log.Fatal(err)
	}
	d.hashes = append(d.hashes, hs...)
	d.records = append(d.records, text)
	if key != "" {
		d.lookup[key] = id
	}
}

func (d *db) Signed(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := int64(len(d.records))
	h, err := tlog.TreeHash(n, d.hashes)
	if err != nil {
		return nil, err
	}
	return note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: n, Hash: h}))}, d.signer)
}

func (d *db) ReadRecords(ctx context.Context, id, n int64) ([][]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id < 0 || n < 0 || id+n > int64(len(d.records)) {
		return nil, notExist(fmt.Sprintf("records %d..%d", id, id+n))
	}
	return append([][]byte(nil), d.records[id:id+n]...), nil
}

func (d *db) Lookup(ctx context.Context, m module.Version) (int64, error) {
	key := m.Path + "@" + m.Version
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.lookup[key]; ok {
		return id, nil
	}
	// Not logged yet: maybe the test added it to the proxy directory since startup.
	if *proxyDir != "" {
		all, err := scanProxy(*proxyDir)
		if err != nil {
			return 0, err
		}
		if text, ok := all[key]; ok {
			d.add(key, text)
			return d.lookup[key], nil
		}
	}
	return 0, notExist(key)
}

func (d *db) ReadTileData(ctx context.Context, t tlog.Tile) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	// A tile is servable only once the tree is big enough to contain all of it.
	if t.L >= 0 {
		need := (t.N<<uint(t.H) + int64(t.W)) << uint(t.H*t.L)
		if need > int64(len(d.records)) {
			return nil, notExist(t.Path())
		}
	}
	return tlog.ReadTileData(t, d.hashes)
}

// notExist is an error sumdb.Server reports as 404 (it tests with os.IsNotExist, which does not unwrap).
func notExist(what string) error {
	return &fs.PathError{Op: "read", Path: what, Err: fs.ErrNotExist}
}

// scanProxy computes the go.sum record text of every module version in a GOPROXY tree.
func scanProxy(dir string) (map[string][]byte, error) {
	out := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(p, ".mod") || filepath.Base(filepath.Dir(p)) != "@v" {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		i := strings.LastIndex(rel, "/@v/")
		path, err := module.UnescapePath(rel[:i])
		if err != nil {
			return fmt.Errorf("%s: %v", rel, err)
		}
		vers, err := module.UnescapeVersion(strings.TrimSuffix(rel[i+len("/@v/"):], ".mod"))
		if err != nil {
			return fmt.Errorf("%s: %v", rel, err)
		}
		var text strings.Builder
		zip := strings.TrimSuffix(p, ".mod") + ".zip"
		if _, err := os.Stat(zip); err == nil {
			h, err := dirhash.HashZip(zip, dirhash.Hash1)
			if err != nil {
				return fmt.Errorf("%s: %v", zip, err)
			}
			fmt.Fprintf(&text, "%s %s %s\n", path, vers, h)
		}
		h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return os.Open(p) })
		if err != nil {
			return err
		}
		fmt.Fprintf(&text, "%s %s/go.mod %s\n", path, vers, h)
		out[path+"@"+vers] = []byte(text.String())
		return nil
	})
	return out, err
}

// readGoSum groups go.sum lines by module@version.
func readGoSum(file string) (map[string][]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s: malformed go.sum line %q", file, line)
		}
		key := f[0] + "@" + strings.TrimSuffix(f[1], "/go.mod")
		out[key] = append(out[key], []byte(strings.Join(f, " ")+"\n")...)
	}
	return out, nil
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("testsumdb: ")
	flag.Parse()

	key := *skey
	vkey := ""
	if key == "" {
		var err error
		key, vkey, err = note.GenerateKey(rand.Reader, *name)
		if err != nil {
			log.Fatal(err)
		}
	}
	signer, err := note.NewSigner(key)
	if err != nil {
		log.Fatalf("-key: %v", err)
	}
	if vkey == "" {
		vkey = verifierKeyOf(key)
	}

	records := make(map[string][]byte)
	if *proxyDir != "" {
		m, err := scanProxy(*proxyDir)
		if err != nil {
			log.Fatal(err)
		}
		for k, v := range m {
			records[k] = v
		}
	}
	if *gosum != "" {
		m, err := readGoSum(*gosum)
		if err != nil {
			log.Fatal(err)
		}
		for k, v := range m {
			records[k] = v
		}
	}
	keys := make([]string, 0, len(records))
	for k := range records {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	d := &db{signer: signer, lookup: make(map[string]int64)}
	if *fork {
		// Same key, different history: one extra record first, then the rest in reverse order.
		d.add("", []byte("fork.granary.test/evil v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
		for i := len(keys) - 1; i >= 0; i-- {
			d.add(keys[i], records[keys[i]])
		}
	} else {
		for _, k := range keys {
			d.add(k, records[k])
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	srv := sumdb.NewServer(d)
	mux := http.NewServeMux()
	for _, p := range sumdb.ServerPaths {
		mux.Handle(p, srv)
	}
	fmt.Printf("addr=%s\nvkey=%s\nskey=%s\nsize=%d\n", ln.Addr(), vkey, key, len(d.records))
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, mux))
}

// verifierKeyOf derives the verifier key from an Ed25519 signer key.
func verifierKeyOf(skey string) string {
	// PRIVATE+KEY+name+hash+base64(alg||seed)
	f := strings.SplitN(skey, "+", 5)
	seed, err := decodeSeed(f[4])
	if err != nil {
		log.Fatalf("-key: %v", err)
	}
	vkey, err := note.NewEd25519VerifierKey(f[2], publicKeyFromSeed(seed))
	if err != nil {
		log.Fatal(err)
	}
	return vkey
}
