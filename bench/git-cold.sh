#!/usr/bin/env bash
# Cold fetch of a private module version straight from git: Granary (git routes, JGit, no go or git
# binary on its side) against the go command with GOPROXY=direct, on the same repositories served by
# `git http-backend` on loopback. Every measured fetch is cold: a fresh module cache, and a repository
# neither the go command nor Granary has seen (RUNS identical repositories under different module paths).
# Granary runs as a long-lived server does: one JVM, warmed by one other repository first (that first
# fetch, JVM start-up effects included, is printed apart). Prints medians, and a warm Granary figure.
#
#   bash bench/git-cold.sh    (needs: root (port 80 on a 127.x address, as module paths carry no port),
#                              git, python3, /usr/local/go/bin/go or GO=..., a built proxy-server/target/granary.jar)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${RUNS:-5}
GO=${GO:-/usr/local/go/bin/go}
[ -x "$GO" ] || GO=/usr/bin/go
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=${JAR:-proxy-server/target/granary.jar}
HOST=${HOST:-127.77.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 20))}
GRANARY_PORT=${GRANARY_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
SRC=${SRC:-$(dirname "$("$GO" env GOROOT)/x")/src/net}   # the module's content: a copy of Go's net package tree

bench_require git python3 curl
bench_jar

bench_workdir git-bench

# 1. The repositories bench0..bench$RUNS: Go's net tree as module $HOST/benchK, tagged v1.0.0 after a few commits.
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@granary.invalid \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@granary.invalid
for k in $(seq 0 "$RUNS"); do
  repo="$work/repos/bench$k"
  mkdir -p "$repo"
  git -C "$repo" init -q -b main
  cp -r "$SRC"/. "$repo"/
  find "$repo" -name testdata -prune -exec rm -rf {} +
  printf 'module %s/bench%s\n\ngo 1.16\n' "$HOST" "$k" > "$repo/go.mod"
  for i in 1 2 3; do echo "// rev $i" >> "$repo/go.mod"; git -C "$repo" add -A; git -C "$repo" commit -qm "rev $i"; done
  git -C "$repo" tag v1.0.0
done
files=$(git -C "$work/repos/bench0" ls-files | wc -l)
size=$(du -sh "$work/repos/bench0/.git" | cut -f1)

# 2. The git server: go-import meta tags and git http-backend (CGI) on $HOST:80.
cat > "$work/server.py" <<'PY'
import http.server, os, subprocess, sys
host, root = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self): self.handle_any()
    def do_POST(self): self.handle_any()
    def handle_any(self):
        path, _, query = self.path.partition("?")
        if not path.startswith("/git/"):
            name = path.strip("/").split("/")[0]
            body = ('<html><head><meta name="go-import" content="%s/%s git http://%s/git/%s"></head></html>' % (host, name, host, name)).encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body); return
        env = {"PATH": "/usr/bin:/bin", "GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1", "PATH_INFO": path[4:],
               "QUERY_STRING": query, "REQUEST_METHOD": self.command, "REMOTE_ADDR": "127.0.0.1", "HOME": root}
        for h, v in (("Content-Type", "CONTENT_TYPE"), ("Content-Length", "CONTENT_LENGTH"),
                     ("Content-Encoding", "HTTP_CONTENT_ENCODING"), ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(h): env[v] = self.headers[h]
        n = int(self.headers.get("Content-Length") or 0)
        out = subprocess.run(["git", "http-backend"], input=self.rfile.read(n), env=env, capture_output=True).stdout
        head, _, body = out.partition(b"\r\n\r\n")
        status = 200
        hdrs = []
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            if k.lower() == "status": status = int(v.split()[0])
            elif k: hdrs.append((k, v.strip()))
        self.send_response(status)
        for k, v in hdrs: self.send_header(k, v)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.ThreadingHTTPServer.allow_reuse_address = True
http.server.ThreadingHTTPServer((host, 80), H).serve_forever()
PY
python3 "$work/server.py" "$HOST" "$work/repos" & pids+=($!)
for _ in $(seq 50); do curl -sf "http://$HOST/bench0?go-get=1" >/dev/null && break; sleep 0.1; done

gorun() {  # gorun <GOPROXY> <cache dir> <module>: one hermetic `go mod download` of v1.0.0, prints milliseconds
  local start end
  start=$(date +%s%N)
  env -i PATH=/usr/bin:/bin HOME="$2" GOPATH="$2/gopath" GOMODCACHE="$2/mod" GOCACHE="$2/cache" GOENV=off GOFLAGS= \
    GOTOOLCHAIN=local GOTELEMETRY=off GOPROXY="$1" GOSUMDB=off GONOSUMDB="$HOST" GOPRIVATE="$( [ "$1" = direct ] && echo "$HOST")" \
    GOINSECURE="$HOST" GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 "$GO" mod download "$3@v1.0.0" >/dev/null || touch "$work/failed"
  end=$(date +%s%N)
  chmod -R u+w "$2" 2>/dev/null || true; rm -rf "$2"
  echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
check() { [ ! -e "$work/failed" ] || { echo "bench: a go command failed (see above)" >&2; exit 1; }; }

# 3. The go command, GOPROXY=direct, each repository cold.
direct=$(for k in $(seq 1 "$RUNS"); do gorun direct "$work/go-direct-$k" "$HOST/bench$k"; done | median)
check

# 4. Granary: one server; bench0 first (JVM warm-up), then each repository cold, then warm answers.
GRANARY_GIT_ROUTES="$HOST go-get insecure" GRANARY_SUMDB=off "$JAVA" -jar "$JAR" serve --listen "127.0.0.1:$GRANARY_PORT" \
  --storage "$work/granary" --upstream direct >"$work/granary.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/granary.log" && break; sleep 0.1; done
grep -q "listening on 127.0.0.1:$GRANARY_PORT" "$work/granary.log" || { echo "bench: Granary did not start:" >&2; cat "$work/granary.log" >&2; exit 1; }
first=$(gorun "http://127.0.0.1:$GRANARY_PORT" "$work/go-granary-0" "$HOST/bench0")
cold=$(for k in $(seq 1 "$RUNS"); do gorun "http://127.0.0.1:$GRANARY_PORT" "$work/go-granary-$k" "$HOST/bench$k"; done | median)
warm=$(for k in $(seq 1 "$RUNS"); do gorun "http://127.0.0.1:$GRANARY_PORT" "$work/go-warm-$k" "$HOST/bench$k"; done | median)
check
[ "$(grep -c "committed $HOST/bench" "$work/granary.log")" -eq $((RUNS + 1)) ] || { echo "bench: Granary did not fetch every repository" >&2; exit 1; }

echo "module: $HOST/benchK@v1.0.0 ($files files, repository $size), $("$GO" version | cut -d' ' -f3), median of $RUNS repositories"
printf '%-52s %6s ms\n' "go mod download, GOPROXY=direct (cold)" "$direct"
printf '%-52s %6s ms\n' "go mod download via Granary (cold repository)" "$cold"
printf '%-52s %6s ms\n' "go mod download via Granary (warm: from storage)" "$warm"
printf '%-52s %6s ms\n' "  (first fetch after the JVM started, not in the median)" "$first"
awk -v c="$cold" -v d="$direct" 'BEGIN { printf "Granary cold / direct: %.2f\n", c / d }'
