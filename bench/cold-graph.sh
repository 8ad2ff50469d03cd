#!/usr/bin/env bash
# The first build through Granary: `go mod download all` of a module graph (bench/modgraph.py: 160
# modules, 3 large, 12 medium, the rest small, a third with an older version in the graph) served
# statically by nginx on loopback, measured in one run:
#   direct  GOPROXY=<nginx>                       the go command straight at the static tree
#   cold    GOPROXY=<Granary>, upstream <nginx>   a graph Granary has never seen
#   warm    the same graph through Granary again  everything committed
#   file    GOPROXY=file://<tree>                 no HTTP at all
# each with checksum verification off (client GOSUMDB=off, Granary --sumdb off) and on (a test
# checksum database, proxy-core/src/test/go/testsumdb, over the same tree; Granary verifies every
# version against it; through Granary the client knows only the database's key and reaches it through
# Granary's /sumdb/, as clients that have no other way out do; direct and file runs are given its URL).
# Every run starts with an empty module cache and no go.sum, so the client looks every module up.
#
# One Granary process per mode, started once and warmed up (two throwaway graphs, cold then warm)
# before anything is measured; each measured cold run uses a graph under a module-path prefix
# Granary has not seen (c<run>off.bench.test/..., c<run>on.bench.test/...), so it is cold for
# Granary but its JVM is warm. Runs are interleaved (direct, cold, warm, file, for each mode, RUNS
# times) so that load from other work on the machine spreads over all of them.
#
# Prints per run kind the median wall time of RUNS runs and its ratio to direct (and warm to file);
# for cold runs the upstream connections Granary opened and the requests it made (nginx's $connection
# in its access log), and the mean latency Granary answered .info, .mod and .zip with.
#
#   bash bench/cold-graph.sh                      (needs nginx, python3, Debian's /usr/bin/go for the
#                                                  test checksum database, a built proxy-server/target/granary.jar)
#   GO=/usr/bin/go RUNS=7 bash bench/cold-graph.sh      another client toolchain, more runs
#   MODES=off bash bench/cold-graph.sh                  verification off only (or on)
#   TREE=/var/tmp/graphs bash bench/cold-graph.sh       keep the generated graphs there and reuse them
#   BASELINE_JAR=/tmp/old.jar bash bench/cold-graph.sh  also a cold run through that build in every round
#   TLS=h2 bash bench/cold-graph.sh                     an https upstream offering HTTP/2 (TLS=h1: HTTP/1.1 only)
#   GRANARY_OPTS='--upstream-...' ...                   extra Granary flags; KEEP=1 keeps the work directory
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RUNS=${RUNS:-5}
GO=${GO:-/usr/local/go/bin/go}
MODES=${MODES:-off on}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=${JAR:-proxy-server/target/granary.jar}
GRANARY_OPTS=${GRANARY_OPTS:-}
BASELINE_JAR=${BASELINE_JAR:-}
NGINX_PORT=${NGINX_PORT:-$(free_port)}

bench_require nginx python3 curl /usr/bin/go "$GO"
bench_jar

bench_workdir cold-graph

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)   client: $("$GO" version | awk '{print $3}')   runs: $RUNS   modes: $MODES"

# 1. The graphs: two for warming up each Granary, one per measured run and mode.
prefixes=()
for m in $MODES; do
  prefixes+=("w1$m.bench.test" "w2$m.bench.test")
  for i in $(seq 1 "$RUNS"); do prefixes+=("c$i$m.bench.test"); done
done
tree=${TREE:-$work/tree}
missing=()
for p in "${prefixes[@]}"; do [ -d "$tree/$p" ] || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] || python3 bench/modgraph.py "$tree" "${missing[@]}"
# The build list: every module at v1.2.0 (modgraph.py); older versions are in the graph, not in the build.
zips=$(find "$tree/c1${MODES%% *}.bench.test" -name 'v1.2.0.zip' | wc -l)
zipbytes=$(find "$tree/c1${MODES%% *}.bench.test" -name 'v1.2.0.zip' -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1048576}')
chmod -R a+rX "$tree"

# 2. nginx over the tree; every request logged with its connection's serial number. With TLS=h2 it
# serves https with HTTP/2 offered (ALPN), as public proxies do, with TLS=h1 https with HTTP/1.1 only,
# under a throwaway certificate that Granary's JVM and the go command are told to trust.
mkdir -p "$work/nginx/logs"
listen="listen 127.0.0.1:$NGINX_PORT;"
NGINX="http://127.0.0.1:$NGINX_PORT"
JAVA_TLS=()
CLIENT_TLS=()
if [ -n "${TLS:-}" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/nginx/key.pem" -out "$work/nginx/cert.pem" 2>/dev/null
  keytool -importcert -noprompt -alias bench -file "$work/nginx/cert.pem" -keystore "$work/nginx/trust.p12" \
    -storetype PKCS12 -storepass bench-only >/dev/null 2>&1
  h2=" http2"
  [ "$TLS" = h1 ] && h2=
  listen="listen 127.0.0.1:$NGINX_PORT ssl$h2; ssl_certificate $work/nginx/cert.pem; ssl_certificate_key $work/nginx/key.pem;"
  NGINX="https://127.0.0.1:$NGINX_PORT"
  JAVA_TLS=("-Djavax.net.ssl.trustStore=$work/nginx/trust.p12" -Djavax.net.ssl.trustStorePassword=bench-only)
  CLIENT_TLS=("SSL_CERT_FILE=$work/nginx/cert.pem")
fi
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  log_format bench '\$connection \$connection_requests \$status \$body_bytes_sent \$request_time \$server_protocol "\$request_uri" "\$http_user_agent"';
  access_log $work/nginx/logs/access.log bench;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { application/json info; application/zip zip; text/plain mod; }
  default_type text/plain;
  server {
    $listen
    root $tree;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
ACCESS="$work/nginx/logs/access.log"

# 3. The test checksum database over the same tree (built with Debian's Go and golang.org/x/mod).
if [[ " $MODES " == *" on "* ]]; then
  mkdir -p "$work/testsumdb/src"
  cp proxy-core/src/test/go/testsumdb/*.go proxy-core/src/test/go/testsumdb/go.mod "$work/testsumdb/src/"
  (cd "$work/testsumdb/src" && env -i PATH=/usr/bin:/bin HOME="$work/testsumdb" GOPATH="$work/testsumdb/gopath" \
    GOCACHE="$work/testsumdb/cache" GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOTELEMETRY=off \
    /usr/bin/go build -o "$work/testsumdb/testsumdb" .)
  "$work/testsumdb/testsumdb" -proxy "$tree" -listen 127.0.0.1:0 >"$work/testsumdb/out" 2>"$work/testsumdb/log" &
  pids+=($!)
  for _ in $(seq 1 600); do grep -q '^size=' "$work/testsumdb/out" 2>/dev/null && break; sleep 0.1; done
  SUMDB_URL="http://$(sed -n 's/^addr=//p' "$work/testsumdb/out")"
  SUMDB_KEY=$(sed -n 's/^vkey=//p' "$work/testsumdb/out")
  [ -n "$SUMDB_KEY" ] || { echo "bench: testsumdb did not start: $(cat "$work/testsumdb/log")" >&2; exit 1; }
fi
wait_http "$NGINX/c1${MODES%% *}.bench.test/m000/@v/list" nginx "$work/nginx/logs/error.log"

# 4. One Granary per mode, its upstream nginx.
declare -A GPORT
start_granary() { # name mode jar
  local name=$1 mode=$2 jar=$3 port sumdb=off
  port=$(free_port)
  [ "$mode" = on ] && sumdb="$SUMDB_KEY $SUMDB_URL"
  # shellcheck disable=SC2086 # GRANARY_OPTS is a list of flags
  "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx1g "${JAVA_TLS[@]}" -jar "$jar" serve --listen "127.0.0.1:$port" \
    --storage "$work/storage-$name" --upstream "$NGINX" --sumdb "$sumdb" $GRANARY_OPTS >"$work/granary-$name.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/healthz" "granary ($name)" "$work/granary-$name.log"
  GPORT[$name]=$port
}

metrics() { curl -fsS "http://127.0.0.1:${GPORT[$1]}/metrics"; }
# p50/p90 latency (ms, bucket upper bounds) of Granary's answers of one kind between two scrapes.
latency_between() { # before after kind
  python3 - "$@" <<'PY'
import re, sys
def load(fn, kind):
    d = {}
    for l in open(fn):
        m = re.match(r'granary_http_requests_seconds_bucket\{kind="%s",status="200",le="([^"]+)"\} (\S+)' % kind, l)
        if m:
            d[float(m.group(1))] = float(m.group(2))
    return d
a, b = load(sys.argv[1], sys.argv[3]), load(sys.argv[2], sys.argv[3])
cum = [(le, b[le] - a.get(le, 0)) for le in sorted(b)]
n = cum[-1][1] if cum else 0
out = []
for q in (0.5, 0.9):
    out.append("%.0f" % (1000 * next(le for le, c in cum if c >= q * n)) if n else "-")
print("/".join(out))
PY
}

# 5. One measured run: an empty module cache, the project's go.mod, `go mod download all`.
declare -A T
run() { # kind mode prefix proxy -> seconds in LAST, appended to T[kind-mode]
  local kind=$1 mode=$2 prefix=$3 proxy=$4 home="$work/home" sumdb=off t0 t1 s
  if [ "$mode" = on ]; then
    # Given a URL, the go command asks the database there and never its proxy's /sumdb/.
    case "$kind" in direct|file) sumdb="$SUMDB_KEY $SUMDB_URL" ;; *) sumdb="$SUMDB_KEY" ;; esac
  fi
  rm -rf "$home"
  mkdir -p "$home/proj"
  python3 bench/modgraph.py --main "$prefix" > "$home/proj/go.mod"
  t0=$(date +%s.%N)
  (cd "$home/proj" && env -i PATH=/usr/bin:/bin HOME="$home" GOPATH="$home/gopath" GOMODCACHE="$home/mod" \
      GOCACHE="$home/cache" GOENV=off GOFLAGS="-mod=mod -modcacherw" GOTOOLCHAIN=local GOTELEMETRY=off \
      GONOSUMDB= GONOPROXY= GOPRIVATE= GOINSECURE= GOVCS='*:off' GOPROXY="$proxy" GOSUMDB="$sumdb" "${CLIENT_TLS[@]}" \
      "$GO" mod download all) >"$work/run.out" 2>&1 || {
    echo "bench: $kind ($mode, $prefix) failed:" >&2; tail -20 "$work/run.out" >&2; exit 1; }
  t1=$(date +%s.%N)
  s=$(echo "$t1 - $t0" | bc)
  T[$kind-$mode]="${T[$kind-$mode]:-} $s"
  rm -rf "$home"
  LAST=$s
}

# Connections, requests and body bytes in the access log since line $3, of one user agent.
declare -A USE
upstream_use() { # key agent from-line
  local counts conns reqs mib
  counts=$(tail -n +"$(($3 + 1))" "$ACCESS" | awk -v ua="\"$2" 'index($NF, ua) == 1 { c[$1] = 1; n++; b += $4; p[$6] = 1 }
    END { for (k in p) ps = ps (ps ? "+" : "") k; printf "%d %d %.1f %s", length(c), n, b / 1048576, ps }')
  read -r conns reqs mib proto <<<"$counts"
  USE[proto-$1]=$proto
  USE[conns-$1]="${USE[conns-$1]:-} $conns"
  USE[reqs-$1]="${USE[reqs-$1]:-} $reqs"
  USE[mib-$1]="${USE[mib-$1]:-} $mib"
}

declare -A LAT
for m in $MODES; do
  start_granary "$m" "$m" "$JAR"
  [ -n "$BASELINE_JAR" ] && start_granary "base-$m" "$m" "$BASELINE_JAR"
  for w in 1 2; do  # warm-up: two throwaway graphs, each cold then warm
    for name in "$m" ${BASELINE_JAR:+"base-$m"}; do
      run warmup "$m" "w$w$m.bench.test" "http://127.0.0.1:${GPORT[$name]}"
      run warmup "$m" "w$w$m.bench.test" "http://127.0.0.1:${GPORT[$name]}"
    done
  done
done

for i in $(seq 1 "$RUNS"); do
  for m in $MODES; do
    g="http://127.0.0.1:${GPORT[$m]}"
    p="c$i$m.bench.test"
    from=$(wc -l < "$ACCESS")
    run direct "$m" "$p" "$NGINX"; d=$LAST
    upstream_use "direct-$m" Go-http-client "$from"
    metrics "$m" > "$work/m0"
    from=$(wc -l < "$ACCESS")
    run cold "$m" "$p" "$g"; c=$LAST
    upstream_use "cold-$m" granary "$from"
    metrics "$m" > "$work/m1"
    run warm "$m" "$p" "$g"; w=$LAST
    run file "$m" "$p" "file://$tree"; f=$LAST
    b=
    # The same graph is cold for the baseline Granary too: it has storage of its own.
    [ -n "$BASELINE_JAR" ] && { run base "$m" "$p" "http://127.0.0.1:${GPORT[base-$m]}"; b="  baseline cold $(printf '%6.2f' "$LAST")"; }
    for k in info mod zip; do
      LAT[$k-$m]="${LAT[$k-$m]:-} $(latency_between "$work/m0" "$work/m1" "$k")"
    done
    printf 'run %d %-3s  direct %6.2f  cold %6.2f  warm %6.2f  file %6.2f%s  (load %s)\n' "$i" "$m" "$d" "$c" "$w" "$f" "$b" \
      "$(cut -d' ' -f1 /proc/loadavg)"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

printf '\ngraph: %s modules, zips %.1f MiB, per run; go mod download all with %s; %s runs each, medians; load after: %s\n' \
  "$zips" "$zipbytes" "$("$GO" version | awk '{print $3}')" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-13s %7s %7s %7s %7s   %8s %8s %9s\n' verification direct cold warm file cold/dir warm/dir warm/file
for m in $MODES; do
  d=$(echo "${T[direct-$m]}" | median); c=$(echo "${T[cold-$m]}" | median)
  w=$(echo "${T[warm-$m]}" | median); f=$(echo "${T[file-$m]}" | median)
  printf '%-13s %7.2f %7.2f %7.2f %7.2f   %8s %8s %9s\n' "$m" "$d" "$c" "$w" "$f" \
    "$(ratio "$c" "$d")" "$(ratio "$w" "$d")" "$(ratio "$w" "$f")"
  if [ -n "$BASELINE_JAR" ]; then
    b=$(echo "${T[base-$m]}" | median)
    printf '%-13s %7s %7.2f %7s %7s   %8s   (BASELINE_JAR, cold, same runs)\n' "$m" "" "$b" "" "" "$(ratio "$b" "$d")"
  fi
done
printf '\nupstream use (medians): connections, requests, MiB of bodies; cold: Granary to nginx, direct: the go command to nginx\n'
printf 'and what Granary answered in the cold runs, p50/p90 ms (median over runs) of .info .mod .zip\n'
for m in $MODES; do
  printf '%-4s direct %3s conns %4s reqs %6s MiB %s   cold %3s conns %4s reqs %6s MiB %s   .info %s  .mod %s  .zip %s\n' "$m" \
    "$(echo "${USE[conns-direct-$m]}" | median)" "$(echo "${USE[reqs-direct-$m]}" | median)" "$(echo "${USE[mib-direct-$m]}" | median)" \
    "${USE[proto-direct-$m]}" \
    "$(echo "${USE[conns-cold-$m]}" | median)" "$(echo "${USE[reqs-cold-$m]}" | median)" "$(echo "${USE[mib-cold-$m]}" | median)" \
    "${USE[proto-cold-$m]}" \
    "$(echo "${LAT[info-$m]}" | tr ' ' '\n' | grep . | sort -t/ -k1,1g | sed -n "$(( (RUNS + 1) / 2 ))p")" \
    "$(echo "${LAT[mod-$m]}" | tr ' ' '\n' | grep . | sort -t/ -k1,1g | sed -n "$(( (RUNS + 1) / 2 ))p")" \
    "$(echo "${LAT[zip-$m]}" | tr ' ' '\n' | grep . | sort -t/ -k1,1g | sed -n "$(( (RUNS + 1) / 2 ))p")"
done
