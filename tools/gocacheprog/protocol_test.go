package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// session drives the program as the go command does: requests on stdin, answers on stdout.
type session struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Scanner
	done chan error
}

func start(t *testing.T, d *disk, r *remote) *session {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := newServer(inR, outW, d, r)
	done := make(chan error, 1)
	go func() {
		done <- s.serve()
		outW.Close()
	}()
	sc := bufio.NewScanner(outR)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	ss := &session{t: t, in: inW, out: sc, done: done}
	hello := ss.read()
	if strings.Join(hello.KnownCommands, ",") != "get,put,close" || hello.ID != 0 {
		t.Fatalf("handshake: %+v", hello)
	}
	return ss
}

func (s *session) read() response {
	s.t.Helper()
	if !s.out.Scan() {
		s.t.Fatalf("no answer: %v", s.out.Err())
	}
	var r response
	if err := json.Unmarshal(s.out.Bytes(), &r); err != nil {
		s.t.Fatalf("answer %q: %v", s.out.Text(), err)
	}
	return r
}

// send writes a request as cmd/go/internal/cache/prog.go does: JSON, an extra newline, then the body line.
func (s *session) send(req request, body []byte) {
	b, _ := json.Marshal(req)
	io.WriteString(s.in, string(b)+"\n\n")
	if len(body) > 0 {
		io.WriteString(s.in, `"`+base64.StdEncoding.EncodeToString(body)+"\"\n")
	}
}

func ids(action string, body []byte) ([]byte, []byte) {
	a := sha256.Sum256([]byte(action))
	o := sha256.Sum256(body)
	return a[:], o[:]
}

func TestPutThenGetFromTheLocalCache(t *testing.T) {
	d, _ := openDisk(t.TempDir())
	s := start(t, d, nil)
	body := []byte(strings.Repeat("object file ", 10000))
	a, o := ids("compile p", body)
	s.send(request{ID: 1, Command: "put", ActionID: a, OutputID: o, BodySize: int64(len(body))}, body)
	put := s.read()
	if put.Err != "" || put.DiskPath == "" {
		t.Fatalf("put: %+v", put)
	}
	got, _ := os.ReadFile(put.DiskPath)
	if string(got) != string(body) {
		t.Fatalf("the output on disk differs")
	}
	s.send(request{ID: 2, Command: "get", ActionID: a}, nil)
	get := s.read()
	if get.Miss || get.DiskPath != put.DiskPath || get.Size != int64(len(body)) || string(get.OutputID) != string(o) {
		t.Fatalf("get: %+v", get)
	}
	s.send(request{ID: 3, Command: "get", ActionID: []byte("unknown action id of 32 bytes!!!")}, nil)
	if miss := s.read(); !miss.Miss {
		t.Fatalf("expected a miss: %+v", miss)
	}
	s.send(request{ID: 4, Command: "close"}, nil)
	if r := s.read(); r.ID != 4 {
		t.Fatalf("close: %+v", r)
	}
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

func TestAPutWhoseBodyIsNotItsOutputIDIsRefusedAndTheNextRequestStillReads(t *testing.T) {
	d, _ := openDisk(t.TempDir())
	s := start(t, d, nil)
	body := []byte("not what was hashed")
	a, _ := ids("compile q", body)
	_, other := ids("x", []byte("something else"))
	s.send(request{ID: 1, Command: "put", ActionID: a, OutputID: other, BodySize: int64(len(body))}, body)
	if r := s.read(); r.Err == "" {
		t.Fatalf("expected an error: %+v", r)
	}
	s.send(request{ID: 2, Command: "get", ActionID: a}, nil)
	if r := s.read(); !r.Miss || r.ID != 2 {
		t.Fatalf("expected a miss: %+v", r)
	}
	s.send(request{ID: 3, Command: "close"}, nil)
	s.read()
}

func TestAnEmptyOutputHasNoBodyLine(t *testing.T) {
	d, _ := openDisk(t.TempDir())
	s := start(t, d, nil)
	a, o := ids("empty", nil)
	s.send(request{ID: 1, Command: "put", ActionID: a, OutputID: o}, nil)
	if r := s.read(); r.Err != "" || r.DiskPath == "" {
		t.Fatalf("put: %+v", r)
	}
	s.send(request{ID: 2, Command: "get", ActionID: a}, nil)
	if r := s.read(); r.Miss || r.Size != 0 {
		t.Fatalf("get: %+v", r)
	}
	s.send(request{ID: 3, Command: "close"}, nil)
	s.read()
}

func TestADownloadThatIsNotItsOutputIDIsAMiss(t *testing.T) {
	body := []byte("served by a broken server")
	_, claimed := ids("y", []byte("the real output"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Go-Output-Id", fmt.Sprintf("%x", claimed))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}))
	defer srv.Close()
	d, _ := openDisk(t.TempDir())
	s := start(t, d, newRemote(srv.URL, "", true, 0, d))
	a, _ := ids("compile r", body)
	s.send(request{ID: 1, Command: "get", ActionID: a}, nil)
	if r := s.read(); !r.Miss {
		t.Fatalf("a damaged download must be a miss: %+v", r)
	}
	s.send(request{ID: 2, Command: "close"}, nil)
	s.read()
}

func TestAnUnreachableGranaryIsOneWarningAndLocalCaching(t *testing.T) {
	d, _ := openDisk(t.TempDir())
	r := newRemote("http://127.0.0.1:1", "token", false, 0, d)
	s := start(t, d, r)
	for i := 1; i <= 3; i++ {
		a, _ := ids(fmt.Sprint("down ", i), nil)
		s.send(request{ID: int64(i), Command: "get", ActionID: a}, nil)
	}
	for i := 0; i < 3; i++ {
		if res := s.read(); !res.Miss {
			t.Fatalf("expected a miss: %+v", res)
		}
	}
	if !r.down.Load() {
		t.Fatal("granary should be marked unreachable")
	}
	s.send(request{ID: 9, Command: "close"}, nil)
	s.read()
}
