package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// The JSON-lines protocol of cmd/go/internal/cacheprog: the program announces the commands it knows,
// then answers each request by its ID, in any order. A put with a body is followed by a line holding
// the body as a base64 JSON string.

type request struct {
	ID       int64
	Command  string
	ActionID []byte `json:",omitempty"`
	OutputID []byte `json:",omitempty"`
	BodySize int64  `json:",omitempty"`
}

type response struct {
	ID            int64
	Err           string     `json:",omitempty"`
	KnownCommands []string   `json:",omitempty"`
	Miss          bool       `json:",omitempty"`
	OutputID      []byte     `json:",omitempty"`
	Size          int64      `json:",omitempty"`
	Time          *time.Time `json:",omitempty"`
	DiskPath      string     `json:",omitempty"`
}

type server struct {
	in     *bufio.Reader
	out    *bufio.Writer
	outMu  sync.Mutex
	disk   *disk
	remote *remote
	wg     sync.WaitGroup

	gets, hits, remoteHits, puts, errs atomic.Int64
}

func newServer(in io.Reader, out io.Writer, d *disk, r *remote) *server {
	return &server{in: bufio.NewReaderSize(in, 64<<10), out: bufio.NewWriter(out), disk: d, remote: r}
}

// serve answers requests until "close" (answered last, after uploads had their chance) or the end of input.
func (s *server) serve() error {
	if err := s.reply(&response{KnownCommands: []string{"get", "put", "close"}}); err != nil {
		return err
	}
	for {
		line, err := s.in.ReadBytes('\n')
		if errors.Is(err, io.EOF) && len(line) == 0 {
			s.wg.Wait()
			s.finish()
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			// The go command ends each request with an extra newline.
			continue
		}
		var req request
		if err := json.Unmarshal(line, &req); err != nil {
			return fmt.Errorf("reading a request: %v", err)
		}
		switch req.Command {
		case "get":
			s.gets.Add(1)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.reply(s.get(req))
			}()
		case "put":
			s.puts.Add(1)
			// The body is read here, in order: the next request starts after it.
			res := s.put(req)
			if err := s.reply(res); err != nil {
				return err
			}
		case "close":
			s.wg.Wait()
			s.finish()
			return s.reply(&response{ID: req.ID})
		default:
			s.reply(&response{ID: req.ID, Err: "unknown command " + req.Command})
		}
	}
}

func (s *server) finish() {
	if s.remote != nil {
		s.remote.wait(30 * time.Second)
	}
	s.disk.trim()
}

func (s *server) get(req request) *response {
	action := hex.EncodeToString(req.ActionID)
	if e, ok := s.disk.get(action); ok {
		s.hits.Add(1)
		return e.response(req.ID)
	}
	if s.remote != nil {
		e, err := s.remote.get(action)
		if err != nil {
			s.errs.Add(1)
		}
		if e != nil {
			s.remoteHits.Add(1)
			return e.response(req.ID)
		}
	}
	return &response{ID: req.ID, Miss: true}
}

func (s *server) put(req request) *response {
	action := hex.EncodeToString(req.ActionID)
	output := hex.EncodeToString(req.OutputID)
	var body io.Reader = eofReader{}
	var framing *bodyReader
	if req.BodySize > 0 {
		framing = &bodyReader{r: s.in}
		body = base64.NewDecoder(base64.StdEncoding, framing)
	}
	e, err := s.disk.put(action, output, req.BodySize, body)
	if framing != nil {
		// Whatever happened, the body's line must be consumed before the next request.
		if derr := framing.drain(); derr != nil && err == nil {
			err = derr
		}
	}
	if err != nil {
		s.errs.Add(1)
		return &response{ID: req.ID, Err: err.Error()}
	}
	if s.remote != nil {
		s.remote.upload(e)
	}
	return &response{ID: req.ID, DiskPath: e.path}
}

func (s *server) reply(r *response) error {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.out.Write(b)
	s.out.WriteByte('\n')
	return s.out.Flush()
}

func (s *server) stats() string {
	st := fmt.Sprintf("%d gets (%d local hits, %d from granary), %d puts, %d errors", s.gets.Load(), s.hits.Load(),
		s.remoteHits.Load(), s.puts.Load(), s.errs.Load())
	if s.remote != nil {
		st += "; " + s.remote.stats()
	}
	return st
}

// bodyReader yields the characters of the JSON string on the line after a put request: leading
// white space, the opening quote, then everything up to the closing quote. drain reads up to and
// including the end of that line.
type bodyReader struct {
	r       *bufio.Reader
	started bool
	done    bool
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if !b.started {
		for {
			c, err := b.r.ReadByte()
			if err != nil {
				return 0, fmt.Errorf("reading a put body: %v", err)
			}
			if c == '"' {
				break
			}
			if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
				return 0, fmt.Errorf("a put body must be a JSON string")
			}
		}
		b.started = true
	}
	n := 0
	for n < len(p) {
		c, err := b.r.ReadByte()
		if err != nil {
			return n, fmt.Errorf("reading a put body: %v", err)
		}
		if c == '"' {
			b.done = true
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		}
		if c == '\\' {
			return n, fmt.Errorf("unexpected escape in a put body")
		}
		p[n] = c
		n++
		if b.r.Buffered() == 0 {
			break
		}
	}
	return n, nil
}

func (b *bodyReader) drain() error {
	if !b.done {
		buf := make([]byte, 32<<10)
		for {
			if _, err := b.Read(buf); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return err
			}
		}
	}
	for {
		c, err := b.r.ReadByte()
		if err != nil || c == '\n' {
			return nil
		}
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
