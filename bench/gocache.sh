#!/usr/bin/env bash
# Warm build caches for CI, measured (never part of the test suite): a generated project with 100+
# dependency packages (bench/gocache/graph: 14 modules x 9 packages, a test-only module, a share of
# the standard library), its modules served by Granary from a file:// tree. The CI sequence is
#   go build ./... && go vet ./... && go test ./...
# on a runner whose module cache is warm and whose build cache is:
#   cold      empty
#   bundle    empty, then `granary gocache restore` of a pre-warm bundle built once beforehand
#   remote    empty, with GOCACHEPROG=<Granary's client> and entries a first runner uploaded
# Prints wall and CPU time (user+sys) of each, bytes moved from Granary, GOCACHE vs bundle size.
#
#   bash bench/gocache.sh                     # Go at /usr/local/go/bin/go
#   GO=/usr/bin/go bash bench/gocache.sh      # another Go (the remote cache needs Go 1.24+)
#   TRIMPATH=1 ...                            # builds and bundle with -trimpath
#   MODULES=20 PACKAGES=10 ...                # a bigger graph
#   KEEP=1 ...                                # keep the work directory
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bin/jdk.sh

GO=${GO:-/usr/local/go/bin/go}
PORT=${PORT:-3918}
JAR=${JAR:-proxy-server/target/granary.jar}
[ -f "$JAR" ] || mvn -B -q -DskipTests package
JAR=$(realpath "$JAR")
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
GOVERSION=$("$GO" env GOVERSION)
MINOR=$(echo "$GOVERSION" | sed -E 's/^go1\.([0-9]+).*/\1/')
URL="http://127.0.0.1:$PORT"

bench_workdir gocache

granary() { "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$JAR" "$@"; }

echo "generating the module graph..."
(cd bench/gocache && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local "$GO" run ./graph -out "$work/graph" \
  -modules "${MODULES:-14}" -packages "${PACKAGES:-9}")
# The writer (CI on main): a client token with the cache-write right; reads stay open (no auth.required).
granary token new --name bench --append "$work/tokens" cache-write >"$work/write.token" 2>/dev/null
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g -jar "$JAR" serve --listen "127.0.0.1:$PORT" --storage "$work/storage" \
  --upstream "file://$work/graph/proxy" --sumdb off --auth-tokens-file "$work/tokens" \
  >"$work/granary.log" 2>&1 &
pid=$!
wait_http "$URL/healthz" granary

goflags="-mod=mod"
[ -n "${TRIMPATH:-}" ] && goflags="$goflags -trimpath"
# A runner: nothing inherited; one module cache path for all (without -trimpath the keys hold it).
runner() { # name, command...
  local name=$1; shift
  mkdir -p "$work/r/$name"
  env -i PATH="$(dirname "$GO"):/usr/bin:/bin" HOME="$work/r/$name" GOPATH="$work/r/$name/gopath" \
    GOMODCACHE="$work/modcache" GOCACHE="$work/r/$name/gocache" GOENV=off GOFLAGS="$goflags" GOTOOLCHAIN=local \
    GOTELEMETRY=off CGO_ENABLED=0 GOPROXY="$URL" GOSUMDB=off GOWORK=off \
    ${PROG:+GOCACHEPROG="$PROG"} "$@"
}
ci='go build ./... && go vet ./... && go test ./...'
served() { curl -fsS "$URL/metrics" | awk -v k="$1" '$1 ~ "^granary_served_bytes_total\\{kind=\""k"\"" {print $2+0}'; }
timed() { # label, runner name, command
  local label=$1 name=$2; shift 2
  (cd "$work/graph/app" && runner "$name" /usr/bin/time -f "%e %U %S" -o "$work/$label.time" sh -c "$*" >"$work/$label.log" 2>&1) \
    || { echo "$label failed:"; tail -20 "$work/$label.log"; exit 1; }
  read -r wall user sys <"$work/$label.time"
  printf '%s %s\n' "$wall" "$(echo "$user + $sys" | bc)" >"$work/$label.result"
}

echo "downloading modules (warm module cache for every runner)..."
(cd "$work/graph/app" && runner prep go mod download all && runner prep go list -deps -test ./... >/dev/null)
deps=$(cd "$work/graph/app" && runner prep go list -deps -test -f '{{if not .Standard}}{{if not .Module.Main}}{{.ImportPath}}{{end}}{{end}}' ./... | sort -u | wc -l)

echo "cold..."
timed cold cold "$ci"
cache_bytes=$(du -sb "$work/r/cold/gocache" | cut -f1)

echo "building the bundle..."
trim=(); [ -n "${TRIMPATH:-}" ] && trim=(--trimpath)
(cd "$work/graph/app" && runner builder /usr/bin/time -f "%e" -o "$work/build.time" \
  "$JAVA" --enable-native-access=ALL-UNNAMED -jar "$JAR" gocache build --project . --output "$work/deps.tar.zst" \
  --publish "$URL" --token-file "$work/write.token" "${trim[@]}" >"$work/build.log" 2>&1) || { cat "$work/build.log"; exit 1; }
bundle_bytes=$(stat -c %s "$work/deps.tar.zst")

echo "restored bundle..."
before=$(served gocache-bundle)
timed bundle bundle "$JAVA --enable-native-access=ALL-UNNAMED -jar $JAR gocache restore $URL ${trim[*]} && $ci"
bundle_moved=$(( $(served gocache-bundle) - before ))

remote="-"
if [ "$MINOR" -ge 24 ]; then
  echo "remote cache: installing the client from Granary, a first runner uploads..."
  runner installer env GOBIN="$work/bin" GOSUMDB=sum.golang.org GONOSUMDB=granary.dev/gocacheprog \
    go install granary.dev/gocacheprog@v0.1.0 >/dev/null
  prog() { echo "$work/bin/gocacheprog -dir $work/r/$1/prog -url $URL -token-file $work/write.token"; }
  PROG="$(prog uploader)" timed uploader uploader "$ci"
  echo "remote cache: a second runner..."
  before=$(served gocache-get)
  PROG="$(prog remote)" timed remote remote "$ci"
  remote_moved=$(( $(served gocache-get) - before ))
  remote_size=$(curl -fsS "$URL/metrics" | awk '$1=="granary_gocache_size_bytes" {printf "%d", $2}')
fi

mib() { echo "scale=1; $1 / 1048576" | bc; }
echo
echo "$GOVERSION, $deps dependency packages outside the standard library${TRIMPATH:+, -trimpath}; CI sequence: $ci"
printf '%-28s %10s %10s %14s\n' "" "wall s" "CPU s" "MiB moved"
read -r w c <"$work/cold.result"; printf '%-28s %10s %10s %14s\n' "cold GOCACHE" "$w" "$c" "0"
read -r w c <"$work/bundle.result"; printf '%-28s %10s %10s %14s\n' "restored bundle (incl. restore)" "$w" "$c" "$(mib "$bundle_moved")"
if [ "$MINOR" -ge 24 ]; then
  read -r w c <"$work/uploader.result"; printf '%-28s %10s %10s %14s\n' "remote cache, first runner" "$w" "$c" "(uploads)"
  read -r w c <"$work/remote.result"; printf '%-28s %10s %10s %14s\n' "remote cache, next runner" "$w" "$c" "$(mib "$remote_moved")"
fi
echo
echo "GOCACHE after the cold run: $(mib "$cache_bytes") MiB; bundle: $(mib "$bundle_bytes") MiB ($(cat "$work/build.time") s to build)"
[ "$MINOR" -ge 24 ] && echo "remote cache holds $(mib "$remote_size") MiB of outputs"
