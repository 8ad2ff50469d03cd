#!/usr/bin/env bash
# Cold fetch of a private module version straight from git: Granary (git routes, JGit, no go or git
# binary on its side) against the go command with GOPROXY=direct, on the same repository served by
# `git http-backend` on loopback. Each run starts cold: a fresh module cache, and for Granary a fresh
# storage root and mirror (the JVM is restarted, its start-up is not counted). Prints the median of RUNS
# runs of `go mod download` of one version, and a warm Granary figure for scale.
#
#   bash bench/git-cold.sh    (needs: root (port 80 on a 127.x address, as module paths carry no port),
#                              git, python3, /usr/local/go/bin/go or GO=..., a built proxy-server/target/granary.jar)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
GO=${GO:-/usr/local/go/bin/go}
[ -x "$GO" ] || GO=/usr/bin/go
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=proxy-server/target/granary.jar
HOST=${HOST:-127.77.$((RANDOM % 200 + 20)).$((RANDOM % 200 + 20))}
GRANARY_PORT=${GRANARY_PORT:-18090}
SRC=${SRC:-$(dirname "$("$GO" env GOROOT)/x")/src/net}   # the module's content: a copy of Go's net package tree

for tool in git python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done
[ -f "$JAR" ] || { echo "bench: build first: mvn -q -DskipTests package" >&2; exit 1; }

work=$(mktemp -d /tmp/granary-git-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

# 1. The repository: Go's net tree as module $HOST/bench, tagged v1.0.0 on top of a few earlier commits.
repo="$work/repos/bench"
mkdir -p "$repo"
export GIT_CONFIG_NOSYSTEM=1 HOME="$work" GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@granary.invalid \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@granary.invalid
git -C "$repo" init -q -b main
cp -r "$SRC"/. "$repo"/
find "$repo" -name testdata -prune -exec rm -rf {} +
printf 'module %s/bench\n\ngo 1.16\n' "$HOST" > "$repo/go.mod"
for i in 1 2 3; do echo "// rev $i" >> "$repo/go.mod"; git -C "$repo" add -A; git -C "$repo" commit -qm "rev $i"; done
git -C "$repo" tag v1.0.0
files=$(git -C "$repo" ls-files | wc -l)
size=$(du -sh "$repo/.git" | cut -f1)

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
            body = ('<html><head><meta name="go-import" content="%s/bench git http://%s/git/bench"></head></html>' % (host, host)).encode()
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
for _ in $(seq 50); do curl -sf "http://$HOST/bench?go-get=1" >/dev/null && break; sleep 0.1; done

gorun() {  # gorun <GOPROXY> <cache dir>: one hermetic `go mod download` of the version, prints milliseconds
  local start end
  start=$(date +%s%N)
  env -i PATH=/usr/bin:/bin HOME="$2" GOPATH="$2/gopath" GOMODCACHE="$2/mod" GOCACHE="$2/cache" GOENV=off GOFLAGS= \
    GOTOOLCHAIN=local GOTELEMETRY=off GOPROXY="$1" GOSUMDB=off GONOSUMDB="$HOST" GOPRIVATE="$( [ "$1" = direct ] && echo "$HOST")" \
    GOINSECURE="$HOST" GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 "$GO" mod download "$HOST/bench@v1.0.0" >/dev/null
  end=$(date +%s%N)
  chmod -R u+w "$2" 2>/dev/null || true; rm -rf "$2"
  echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 3. The go command, GOPROXY=direct, cold each time.
direct=$(for i in $(seq "$RUNS"); do gorun direct "$work/go-direct-$i"; done | median)

# 4. Granary, cold each time: new storage and mirror, the JVM started before the clock starts.
granary_cold=()
for i in $(seq "$RUNS"); do
  store="$work/granary-$i"
  GRANARY_GIT_ROUTES="$HOST go-get insecure" GRANARY_SUMDB=off "$JAVA" -jar "$JAR" serve --listen "127.0.0.1:$GRANARY_PORT" \
    --storage "$store" --upstream direct >"$work/granary-$i.log" 2>&1 & gp=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$GRANARY_PORT/healthz" >/dev/null && break; sleep 0.1; done
  granary_cold+=("$(gorun "http://127.0.0.1:$GRANARY_PORT" "$work/go-granary-$i")")
  if [ "$i" = "$RUNS" ]; then
    warm=$(for j in $(seq "$RUNS"); do gorun "http://127.0.0.1:$GRANARY_PORT" "$work/go-warm-$j"; done | median)
  fi
  kill "$gp"; wait "$gp" 2>/dev/null || true
done
cold=$(printf '%s\n' "${granary_cold[@]}" | median)

echo "module: $HOST/bench@v1.0.0 ($files files, repository $size), $("$GO" version | cut -d' ' -f3), median of $RUNS runs"
printf '%-44s %6s ms\n' "go mod download, GOPROXY=direct (cold)" "$direct"
printf '%-44s %6s ms\n' "go mod download via Granary (cold: git fetch)" "$cold"
printf '%-44s %6s ms\n' "go mod download via Granary (warm)" "$warm"
awk -v c="$cold" -v d="$direct" 'BEGIN { printf "Granary cold / direct: %.2f\n", c / d }'
