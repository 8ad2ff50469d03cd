package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// remote is Granary's build cache: the gocached protocol of go-tool-cache under /gocache/cache.
// Lookups block the go command; uploads run in the background, a few at a time. The first failure
// to reach Granary turns it off for the rest of the run, with one warning: the build goes on with
// the local cache alone.
type remote struct {
	base     string
	token    string
	readOnly bool
	client   *http.Client
	disk     *disk

	down      atomic.Bool
	noWrite   atomic.Bool
	warnOnce  sync.Once
	writeOnce sync.Once
	uploads   sync.WaitGroup
	slots     chan struct{}

	downloaded, uploaded, refused atomic.Int64
}

func newRemote(base, token string, readOnly bool, timeout time.Duration, d *disk) *remote {
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     60 * time.Second,
	}
	return &remote{
		base:     strings.TrimSuffix(base, "/") + "/gocache/cache",
		token:    token,
		readOnly: readOnly || token == "",
		client:   &http.Client{Transport: transport, Timeout: timeout},
		disk:     d,
		slots:    make(chan struct{}, 8),
	}
}

func (r *remote) request(method, url string, body io.Reader, size int64) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := r.client.Do(req)
	if err != nil {
		r.unreachable(err)
		return nil, err
	}
	if res.StatusCode >= 500 {
		res.Body.Close()
		err := fmt.Errorf("%s %s: %s", method, url, res.Status)
		r.unreachable(err)
		return nil, err
	}
	return res, nil
}

func (r *remote) unreachable(err error) {
	r.down.Store(true)
	r.warnOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "gocacheprog: warning: granary build cache unavailable, going on with the local cache only: %v\n", err)
	})
}

// get downloads the output of action into the local cache, checked against its SHA-256.
func (r *remote) get(action string) (*entry, error) {
	if r.down.Load() {
		return nil, nil
	}
	req, err := http.NewRequest("GET", r.base+"/action/"+action, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Want-Object", "1")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := r.client.Do(req)
	if err != nil {
		r.unreachable(err)
		return nil, err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound:
		return nil, nil
	case res.StatusCode >= 500:
		err := fmt.Errorf("GET %s: %s", req.URL, res.Status)
		r.unreachable(err)
		return nil, err
	case res.StatusCode != http.StatusOK:
		// 401/403: no read access; nothing to do but miss.
		return nil, fmt.Errorf("GET %s: %s", req.URL, res.Status)
	}
	output := res.Header.Get("Go-Output-Id")
	if !isID(output) || res.ContentLength < 0 {
		return nil, errors.New("granary answered without Go-Output-Id or Content-Length")
	}
	path := r.disk.file(output, "d")
	// writeChecked refuses anything whose SHA-256 is not the output ID: a damaged download is a miss.
	if err := r.disk.writeChecked(path, output, res.ContentLength, res.Body); err != nil {
		return nil, err
	}
	e := &entry{action: action, output: output, size: res.ContentLength, time: time.Now(), path: path}
	if err := r.disk.writeIndex(e); err != nil {
		return nil, err
	}
	r.downloaded.Add(e.size)
	return e, nil
}

// upload sends an entry to Granary in the background.
func (r *remote) upload(e *entry) {
	if r.readOnly || r.down.Load() || r.noWrite.Load() {
		return
	}
	r.uploads.Add(1)
	go func() {
		defer r.uploads.Done()
		r.slots <- struct{}{}
		defer func() { <-r.slots }()
		if r.down.Load() || r.noWrite.Load() {
			return
		}
		f, err := os.Open(e.path)
		if err != nil {
			return
		}
		defer f.Close()
		// The file is checked again on the way out: a local copy damaged since would be refused by Granary anyway.
		h := sha256.New()
		res, err := r.request("PUT", r.base+"/"+e.action+"/"+e.output, io.TeeReader(f, h), e.size)
		if err != nil {
			return
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		res.Body.Close()
		switch res.StatusCode {
		case http.StatusNoContent, http.StatusOK, http.StatusCreated:
			r.uploaded.Add(e.size)
		case http.StatusUnauthorized, http.StatusForbidden:
			r.noWrite.Store(true)
			r.writeOnce.Do(func() {
				fmt.Fprintf(os.Stderr, "gocacheprog: granary refused an upload (%s): this token may only read; not uploading\n", res.Status)
			})
		default:
			r.refused.Add(1)
			if hex.EncodeToString(h.Sum(nil)) != e.output {
				fmt.Fprintf(os.Stderr, "gocacheprog: local file %s is damaged; removing it\n", filepath.Base(e.path))
				os.Remove(e.path)
			}
		}
	}()
}

// wait gives background uploads up to d to finish.
func (r *remote) wait(d time.Duration) {
	done := make(chan struct{})
	go func() {
		r.uploads.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
		fmt.Fprintln(os.Stderr, "gocacheprog: some uploads did not finish in time")
	}
}

func (r *remote) stats() string {
	state := "reachable"
	if r.down.Load() {
		state = "unreachable"
	}
	return fmt.Sprintf("granary %s: %d bytes downloaded, %d bytes uploaded, %d uploads refused", state,
		r.downloaded.Load(), r.uploaded.Load(), r.refused.Load())
}
