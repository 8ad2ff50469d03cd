#!/usr/bin/env bash
# Air-gap figures (never part of the test suite):
#   1. export and import throughput (MB/s) and peak heap, with -Xmx256m, for a snapshot of about
#      SIZE MiB of modules (default 1024: 128 modules of 8 MiB, incompressible), proven by a real
#      checksum database (the tests' testsumdb, built here from Debian's golang.org/x/mod);
#   2. an offline `go mod download all` of a graph of MODULES modules (default 120), from the inside
#      Granary versus from GOPROXY=file:// of the unpacked snapshot, GOSUMDB on in both.
# Needs golang-go, golang-golang-x-mod-dev, python3, curl; loopback only.
#
#   bash bench/snapshot.sh
#   SIZE=256 MODULES=120 bash bench/snapshot.sh     # smaller, when the machine is busy
#   KEEP=1 ...                                      # keep the work directory
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bin/jdk.sh

SIZE=${SIZE:-1024}
MODULES=${MODULES:-120}
GO=${GO:-/usr/local/go/bin/go}
[ -x "$GO" ] || GO=/usr/bin/go
JAR=${JAR:-proxy-server/target/granary.jar}
[ -f "$JAR" ] || mvn -B -q -DskipTests package
PORT=${PORT:-3919}
bench_workdir snapshot-bench
granary() { java --enable-native-access=ALL-UNNAMED -Xmx256m -jar "$JAR" "$@"; }
now() { date +%s.%N; }
mbs() { python3 -c "import sys; print('%.1f' % ($1 / 1048576 / ($3 - $2)))"; }
secs() { python3 -c "print('%.2f' % ($2 - $1))"; }

# ---- the checksum database ---------------------------------------------------------------------
mkdir -p "$work/testsumdb"
cp proxy-core/src/test/go/testsumdb/*.go proxy-core/src/test/go/testsumdb/go.mod "$work/testsumdb/"
(cd "$work/testsumdb" && env GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOPATH="$work/gopath" \
  GOCACHE="$work/gocache" /usr/bin/go build -o testsumdb . )
start_sumdb() { # proxy-dir
  "$work/testsumdb/testsumdb" -proxy "$1" -listen 127.0.0.1:0 >"$work/sumdb.out" 2>"$work/sumdb.log" &
  pids+=($!)
  # It hashes every zip before it answers: minutes for many gigabytes.
  for _ in $(seq 1 3000); do [ "$(wc -l <"$work/sumdb.out")" -ge 4 ] && break; sleep 0.1; done
  [ -n "$(sed -n "s/^vkey=//p" "$work/sumdb.out")" ] || { echo "testsumdb did not start: $(cat "$work/sumdb.log")" >&2; exit 1; }
  SUMDB_ADDR=$(sed -n 's/^addr=//p' "$work/sumdb.out")
  VKEY=$(sed -n 's/^vkey=//p' "$work/sumdb.out")
}

# ---- 1. throughput ---------------------------------------------------------------------------
count=$(( SIZE / 8 ))
echo "generating $count modules of 8 MiB ..."
python3 - "$work/upstream" "$count" <<'PY'
import os, sys, json, zipfile
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    path = "example.com/bench/m%03d" % i
    d = os.path.join(root, path, "@v"); os.makedirs(d, exist_ok=True)
    mod = "module %s\n\ngo 1.17\n" % path
    open(os.path.join(d, "v1.0.0.mod"), "w").write(mod)
    open(os.path.join(d, "v1.0.0.info"), "w").write(json.dumps({"Version": "v1.0.0", "Time": "2026-01-01T00:00:00Z"}))
    open(os.path.join(d, "list"), "w").write("v1.0.0\n")
    with zipfile.ZipFile(os.path.join(d, "v1.0.0.zip"), "w", zipfile.ZIP_STORED) as z:
        z.writestr(path + "@v1.0.0/go.mod", mod)
        z.writestr(path + "@v1.0.0/data.bin", os.urandom(8 << 20))
PY
start_sumdb "$work/upstream"
granary keys generate --uid "Bench <bench@example.org>" --output-secret "$work/secret.asc" --output-public "$work/public.asc" >/dev/null 2>&1
mods=()
for i in $(seq 0 $((count - 1))); do mods+=(--module "example.com/bench/m$(printf %03d "$i")@v1.0.0"); done
common=(--storage "$work/connected" --upstream "file://$work/upstream" --sumdb "$VKEY http://$SUMDB_ADDR" -q)

echo "cold export (fetch, verify, commit, then write) ..."
t0=$(now); granary export -o "$work/cold.tar" "${mods[@]}" --sign-key "$work/secret.asc" "${common[@]}" >"$work/cold.out"; t1=$(now)
echo "warm export (storage to snapshot, --offline) ..."
t2=$(now); granary export -o "$work/snap.tar" --all --offline --sign-key "$work/secret.asc" "${common[@]}" >"$work/export.out"; t3=$(now)
bytes=$(stat -c %s "$work/snap.tar")
echo "import ..."
t4=$(now); granary import "$work/snap.tar" --keyring "$work/public.asc" --storage "$work/inside" --upstream off --sumdb "$VKEY" -q >"$work/import.out"; t5=$(now)
echo "import again (already imported) ..."
t6=$(now); granary import "$work/snap.tar" --keyring "$work/public.asc" --storage "$work/inside" --upstream off --sumdb "$VKEY" -q >"$work/again.out"; t7=$(now)
heap() { sed -n 's/.*peak heap: \([0-9]*\) MiB.*/\1/p' "$1"; }
echo
echo "snapshot: $(python3 -c "print('%.0f' % ($bytes / 1048576))") MiB, $count modules, -Xmx256m"
echo "  cold export: $(secs "$t0" "$t1") s ($(mbs "$bytes" "$t0" "$t1") MB/s), peak heap $(heap "$work/cold.out") MiB"
echo "  warm export: $(secs "$t2" "$t3") s ($(mbs "$bytes" "$t2" "$t3") MB/s), peak heap $(heap "$work/export.out") MiB"
echo "  import:      $(secs "$t4" "$t5") s ($(mbs "$bytes" "$t4" "$t5") MB/s), peak heap $(heap "$work/import.out") MiB"
echo "  import again (no-op): $(secs "$t6" "$t7") s, $(head -1 "$work/again.out")"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pids=()
rm -rf "$work/upstream" "$work/connected" "$work/inside" "$work/cold.tar" "$work/snap.tar"

# ---- 2. offline go mod download of a module graph -------------------------------------------------
echo
echo "generating a graph of $MODULES modules ..."
python3 - "$work/graph" "$work/app" "$MODULES" <<'PY'
import os, sys, json, zipfile, random
root, app, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
random.seed(1)
def write(path, ver, requires):
    d = os.path.join(root, path, "@v"); os.makedirs(d, exist_ok=True)
    req = "".join("\t%s v1.0.0\n" % r for r in requires)
    mod = "module %s\n\ngo 1.17\n" % path + ("\nrequire (\n%s)\n" % req if requires else "")
    open(os.path.join(d, ver + ".mod"), "w").write(mod)
    open(os.path.join(d, ver + ".info"), "w").write(json.dumps({"Version": ver, "Time": "2026-01-01T00:00:00Z"}))
    open(os.path.join(d, "list"), "w").write(ver + "\n")
    pkg = path.rsplit("/", 1)[1]
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        z.writestr("%s@%s/go.mod" % (path, ver), mod)
        imports = "".join('import _ "%s"\n' % r for r in requires)
        z.writestr("%s@%s/%s.go" % (path, ver, pkg), "package %s\n\n%s\n// %s\n" % (pkg, imports, "x" * 2000))
names = ["example.com/graph/g%03d" % i for i in range(n)]
for i, name in enumerate(names):
    deps = sorted(random.sample(names[i + 1:], min(3, len(names) - i - 1))) if i < n - 1 else []
    write(name, "v1.0.0", deps)
os.makedirs(app, exist_ok=True)
# The main module requires every module (a tidy go 1.17 go.mod lists its whole graph) and imports the roots.
open(os.path.join(app, "go.mod"), "w").write("module example.com/app\n\ngo 1.17\n\nrequire (\n" + "".join("\t%s v1.0.0\n" % m for m in names) + ")\n")
open(os.path.join(app, "main.go"), "w").write("package main\n\n" + "".join('import _ "%s"\n' % m for m in names[:10]) + "\nfunc main() {}\n")
PY
start_sumdb "$work/graph"
common=(--storage "$work/connected" --upstream "file://$work/graph" --sumdb "$VKEY http://$SUMDB_ADDR" -q)
granary export -o "$work/graph.tar.zst" --gomod "$work/app/go.mod" --sign-key "$work/secret.asc" "${common[@]}" | sed -n '1p;3p'
granary import "$work/graph.tar.zst" --keyring "$work/public.asc" --storage "$work/inside" --upstream off --sumdb "$VKEY" -q | head -1
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; pids=()
mkdir -p "$work/unpacked" && tar --zstd -xf "$work/graph.tar.zst" -C "$work/unpacked"
java --enable-native-access=ALL-UNNAMED -Xmx256m -jar "$JAR" serve --listen "127.0.0.1:$PORT" --storage "$work/inside" \
  --upstream off --sumdb "$VKEY" >"$work/inside.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PORT/healthz" granary
download() { # label proxy
  local h="$work/go-$1"; rm -rf "$h"; mkdir -p "$h"
  local s; s=$(now)
  (cd "$work/app" && rm -f go.sum && env -i PATH="$(dirname "$GO"):/usr/bin:/bin" HOME="$h" GOPATH="$h/gopath" GOMODCACHE="$h/mod" \
    GOCACHE="$h/cache" GOENV=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOTELEMETRY=off GOPROXY="$2" GOSUMDB="$VKEY" GONOSUMDB= \
    GOPRIVATE= "$GO" mod download all)
  local e; e=$(now)
  echo "  $1: $(secs "$s" "$e") s, $(find "$h/mod/cache/download" -name '*.zip' | wc -l) zips"
  chmod -R u+w "$h"
}
echo "offline go mod download all of $MODULES modules with $($GO version | cut -d' ' -f3), GOSUMDB on:"
download "inside Granary" "http://127.0.0.1:$PORT"
download "inside Granary (again)" "http://127.0.0.1:$PORT"
download "file://" "file://$work/unpacked"
