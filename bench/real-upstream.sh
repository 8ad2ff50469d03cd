#!/usr/bin/env bash
# A real module graph through Granary, against the machine's own Go module proxy (never part of the
# test suite: it needs the network). Three runs of the same download with a fresh module cache each:
#   direct  GOPROXY=<the machine's proxy>, GOSUMDB=sum.golang.org
#   cold    GOPROXY=<Granary>, Granary empty, its upstream the machine's proxy, verifying against
#           sum.golang.org (reached through the upstream's /sumdb/ when it serves it)
#   warm    the same Granary again
#   offline a new Granary process on the same storage with upstream off, GOSUMDB still on
# Prints modules fetched, verification failures (must be 0), wall times and ratios, Granary's peak heap,
# the upstream connections Granary opened during the cold run (sampled every 50 ms with ss: TCP
# connections of its process to a remote port 443 or the upstream's port; with HTTP/2 one connection
# carries every request), and the zips it downloaded that the build list does not need (go.mod files
# of the graph whose versions lose to newer ones: Granary fetches a version whole once asked for its .mod).
#
#   bash bench/real-upstream.sh                       # github.com/prometheus/prometheus@v0.54.1
#   MODULE=k8s.io/kubernetes@v1.31.0 bash bench/real-upstream.sh
#   KEEP=1 ...                                        # keep the work directory
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
. bin/jdk.sh

GO=${GO:-/usr/local/go/bin/go}
MODULE=${MODULE:-github.com/prometheus/prometheus@v0.54.1}
UPSTREAM=${UPSTREAM:-$($GO env GOPROXY | tr ',|' '\n\n' | grep -E '^https?://' | head -1)}
[ -n "$UPSTREAM" ] || { echo "no http(s) GOPROXY on this machine" >&2; exit 2; }
PORT=${PORT:-3917}
JAR=${JAR:-proxy-server/target/granary.jar}
[ -f "$JAR" ] || mvn -B -q -DskipTests package

bench_workdir real

start_granary() { # upstream
  java --enable-native-access=ALL-UNNAMED -Xmx1g -jar "$JAR" serve --listen "127.0.0.1:$PORT" \
    --storage "$work/storage" --upstream "$1" >>"$work/granary.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "granary did not start; see $work/granary.log" >&2
  exit 1
}
stop_granary() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
# Samples the TCP connections of process $1 to remote port $2 until $3 exists; prints how many distinct ones.
count_connections() { # pid port stopfile
  local seen="$work/conns.$1"
  : > "$seen"
  while [ ! -e "$3" ]; do
    ss -tnpH state established "( dport = :$2 )" 2>/dev/null | awk -v p="pid=$1," 'index($0, p) { print $3, $4 }' >> "$seen"
    sleep 0.05
  done
  sort -u "$seen" | wc -l
}
metric() { # name -> summed value of all series
  curl -fsS "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $2} END {printf "%.0f", s}'
}

# The module graph: a module that requires $MODULE; `go get` loads the graph (every .mod), then
# `go mod download all` fetches every module of the build list (the zips).
mkdir -p "$work/proj"
printf 'module bench.example/realgraph\n\ngo 1.22\n' > "$work/proj/go.mod"

run() { # name proxy -> prints seconds
  local name=$1 proxy=$2 home="$work/home-$1"
  mkdir -p "$home"
  cp "$work/proj/go.mod" "$home/go.mod"
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$home" && env -i PATH=/usr/bin:/bin HOME="$home" GOPATH="$home/gopath" GOMODCACHE="$home/mod" \
      GOCACHE="$home/cache" GOENV=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOTELEMETRY=off GONOSUMDB= GOPRIVATE= \
      GOPROXY="$proxy" GOSUMDB=sum.golang.org \
      sh -c "$GO get $MODULE && $GO mod download all") >"$work/$name.out" 2>&1 || {
    echo "$name run failed:" >&2; tail -20 "$work/$name.out" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}

echo "module graph: $MODULE   upstream: $UPSTREAM   go: $($GO version | awk '{print $3}')"
direct=$(run direct "$UPSTREAM")
count=$(find "$work/home-direct/mod/cache/download" -name '*.zip' | wc -l)
mods=$(find "$work/home-direct/mod/cache/download" -name '*.mod' | wc -l)
start_granary "$UPSTREAM"
upstream_port=$(python3 -c 'import sys, urllib.parse as u; x = u.urlsplit(sys.argv[1]); print(x.port or (443 if x.scheme == "https" else 80))' "$UPSTREAM")
count_connections "$pid" "$upstream_port" "$work/cold.done" > "$work/cold.conns" &
sampler=$!
cold=$(run cold "http://127.0.0.1:$PORT")
touch "$work/cold.done"
wait "$sampler"
conns=$(cat "$work/cold.conns")
# Zips Granary committed that the build list does not need (the direct run's module cache has the build list's).
unneeded=$(cd "$work/storage" && find . -name '*.zip' -path '*/@v/*' | while read -r z; do
  [ -e "$work/home-direct/mod/cache/download/$z" ] || stat -c %s "$z"; done | awk '{n++; b+=$1} END {printf "%d %.1f", n, b/1048576}')
warm=$(run warm "http://127.0.0.1:$PORT")
committed=$(metric granary_versions_committed_total)
failures=$(metric granary_verification_failures_total)
heap=$(metric granary_jvm_heap_peak_bytes)
stop_granary
start_granary off
offline=$(run offline "http://127.0.0.1:$PORT")
offline_failures=$(metric granary_verification_failures_total)
stop_granary

printf '\nzips in the build list: %s, go.mod files in the graph: %s\n' "$count" "$mods"
printf 'versions fetched and committed by Granary: %s, verification failures: %s (offline run: %s)\n' \
  "$committed" "$failures" "$offline_failures"
printf 'Granary peak heap: %.0f MiB; upstream connections during the cold run: %s\n' "$(echo "$heap / 1048576" | bc -l)" "$conns"
printf 'zips Granary fetched that the build list does not need: %s (%s MiB)\n\n' "${unneeded% *}" "${unneeded#* }"
printf '%-32s %8s %8s\n' "run" "seconds" "ratio"
printf '%-32s %8.2f %8s\n' "direct ($UPSTREAM)" "$direct" "1.00"
printf '%-32s %8.2f %8.2f\n' "through a cold Granary" "$cold" "$(echo "$cold / $direct" | bc -l)"
printf '%-32s %8.2f %8.2f\n' "through a warm Granary" "$warm" "$(echo "$warm / $direct" | bc -l)"
printf '%-32s %8.2f %8.2f\n' "Granary offline (upstream off)" "$offline" "$(echo "$offline / $direct" | bc -l)"
[ "$failures" = 0 ] && [ "$offline_failures" = 0 ]
