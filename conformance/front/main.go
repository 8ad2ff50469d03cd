// Command front sits where the go command's script tests expect their module proxy
// (http://<addr>/mod) and sends each request either to Granary or, for the fault-injection
// prefixes that cmd/go's test proxy (src/cmd/go/proxy_test.go) interprets itself, straight to
// that test proxy.
//
// Everything a real proxy serves goes to Granary, whose own upstream is the test proxy:
//
//	/mod/<module>/@v/..., /mod/<module>/@latest   -> Granary /<module>/...
//	/mod/sumdb/<name>/...                          -> Granary /sumdb/<name>/...
//	/mod/sumdb-<N>/<path> (not sumdb/)             -> Granary /<path> (the test proxy strips the prefix too)
//
// The prefixes below make the test proxy misbehave on purpose (bad bodies, status codes, redirect
// chains, a wrong or redirected checksum database). They test the go command against a faulty
// proxy, not the proxy protocol, so they reach the test proxy unchanged:
//
//	/mod/invalid/..., /mod/<N>/... (N >= 200), /mod/sumdb-<N>/sumdb/..., /mod/redirect/<count>/...,
//	/mod/sumdb-direct/..., /mod/sumdb-wrong/..., /mod/sumdb-redirect/...
//
// A redirect chain ends at /mod/<path> on this front, so what it finally fetches comes from Granary.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	testProxy := flag.String("testproxy", "", "base URL of cmd/go's test proxy, e.g. http://127.0.0.1:4000 (it serves /mod/)")
	granary := flag.String("granary", "", "base URL of Granary, e.g. http://127.0.0.1:4001")
	flag.Parse()
	if *testProxy == "" || *granary == "" {
		log.Fatal("usage: front -testproxy URL -granary URL [-listen ADDR]")
	}
	tp, err := url.Parse(*testProxy)
	if err != nil {
		log.Fatal(err)
	}
	gr, err := url.Parse(*granary)
	if err != nil {
		log.Fatal(err)
	}
	toTestProxy := httputil.NewSingleHostReverseProxy(tp)
	toGranary := httputil.NewSingleHostReverseProxy(gr)

	l, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "front listening on %s\n", l.Addr())
	log.Fatal(http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/mod/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		granaryPath, special := route(rest)
		if special {
			toTestProxy.ServeHTTP(w, r)
			return
		}
		r.URL.Path = "/" + granaryPath
		r.URL.RawPath = ""
		toGranary.ServeHTTP(w, r)
	})))
}

// route tells whether a path under /mod/ is one of the test proxy's fault-injection prefixes and,
// if not, which path to ask Granary for.
func route(rest string) (granaryPath string, special bool) {
	first, after, _ := strings.Cut(rest, "/")
	switch {
	case first == "invalid", first == "redirect",
		first == "sumdb-direct", first == "sumdb-wrong", first == "sumdb-redirect":
		return "", true
	case isStatus(first):
		return "", true
	case strings.HasPrefix(first, "sumdb-") && isStatus(strings.TrimPrefix(first, "sumdb-")):
		if strings.HasPrefix(after, "sumdb/") {
			return "", true
		}
		return after, false
	}
	return rest, false
}

func isStatus(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 200
}
