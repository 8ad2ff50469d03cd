package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The local cache, laid out like the go command's own: <dir>/<aa>/<action>-a holds
// "<output id> <size> <unix nanos>", <dir>/<oo>/<output>-d holds the output, named by its SHA-256.
// Files are written to a temporary name and renamed into place, so readers never see half a file.
// Entries unused for five days are removed, at most once a day (as the go command trims its cache).

const (
	trimInterval  = 24 * time.Hour
	trimLimit     = 5 * 24 * time.Hour
	mtimeInterval = time.Hour
)

type disk struct {
	dir string
}

// entry is an output on local disk and the action it answers.
type entry struct {
	action, output string
	size           int64
	time           time.Time
	path           string
}

func (e *entry) response(id int64) *response {
	out, _ := hex.DecodeString(e.output)
	t := e.time
	return &response{ID: id, OutputID: out, Size: e.size, Time: &t, DiskPath: e.path}
}

func openDisk(dir string) (*disk, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("local cache directory: %v", err)
	}
	return &disk{dir: dir}, nil
}

func (d *disk) file(id, kind string) string {
	return filepath.Join(d.dir, id[:2], id+"-"+kind)
}

// get finds an entry whose output is present with the recorded size.
func (d *disk) get(action string) (*entry, bool) {
	b, err := os.ReadFile(d.file(action, "a"))
	if err != nil {
		return nil, false
	}
	f := strings.Fields(string(b))
	if len(f) != 3 || !isID(f[0]) {
		return nil, false
	}
	size, err1 := strconv.ParseInt(f[1], 10, 64)
	nanos, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || size < 0 {
		return nil, false
	}
	path := d.file(f[0], "d")
	info, err := os.Stat(path)
	if err != nil || info.Size() != size {
		return nil, false
	}
	d.markUsed(d.file(action, "a"))
	d.markUsed(path)
	return &entry{action: action, output: f[0], size: size, time: time.Unix(0, nanos), path: path}, true
}

// put stores body as the output of action: its SHA-256 must be output and its length size.
func (d *disk) put(action, output string, size int64, body io.Reader) (*entry, error) {
	if !isID(action) || !isID(output) {
		return nil, errors.New("malformed action or output ID")
	}
	path := d.file(output, "d")
	if err := d.writeChecked(path, output, size, body); err != nil {
		return nil, err
	}
	now := time.Now()
	e := &entry{action: action, output: output, size: size, time: now, path: path}
	if err := d.writeIndex(e); err != nil {
		return nil, err
	}
	return e, nil
}

// writeChecked writes body to path unless a complete copy is there, refusing content whose
// SHA-256 or length is not the one expected.
func (d *disk) writeChecked(path, output string, size int64, body io.Reader) error {
	if info, err := os.Stat(path); err == nil && info.Size() == size {
		_, err := io.Copy(io.Discard, body)
		d.markUsed(path)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("output %s: got %d bytes, expected %d", output, n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != output {
		return fmt.Errorf("output %s has SHA-256 %s: refused", output, got)
	}
	return os.Rename(tmp.Name(), path)
}

func (d *disk) writeIndex(e *entry) error {
	path := d.file(e.action, "a")
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = fmt.Fprintf(tmp, "%s %d %d\n", e.output, e.size, e.time.UnixNano())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// markUsed refreshes a file's mtime at most once an hour, so trimming keeps what is used.
func (d *disk) markUsed(path string) {
	if info, err := os.Stat(path); err == nil && time.Since(info.ModTime()) >= mtimeInterval {
		now := time.Now()
		os.Chtimes(path, now, now)
	}
}

// trim removes entries unused for five days, at most once a day.
func (d *disk) trim() {
	stamp := filepath.Join(d.dir, "trim.txt")
	if b, err := os.ReadFile(stamp); err == nil {
		if t, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && time.Since(time.Unix(t, 0)) < trimInterval {
			return
		}
	}
	os.WriteFile(stamp, []byte(strconv.FormatInt(time.Now().Unix(), 10)), 0o666)
	cutoff := time.Now().Add(-trimLimit - mtimeInterval)
	subs, _ := os.ReadDir(d.dir)
	for _, s := range subs {
		if !s.IsDir() || len(s.Name()) != 2 {
			continue
		}
		sub := filepath.Join(d.dir, s.Name())
		files, _ := os.ReadDir(sub)
		for _, f := range files {
			if info, err := f.Info(); err == nil && info.ModTime().Before(cutoff) {
				os.Remove(filepath.Join(sub, f.Name()))
			}
		}
	}
}

func isID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
