#!/usr/bin/env bash
# TLS at the edge, measured: one Granary serving the same warm storage over TLS (its main listener,
# HTTP/2 and HTTP/1.1) and over plain HTTP (tls.plain-listen), on loopback.
#   1. a cached ZIP_MB .zip: MB/s with wrk (HTTP/1.1, CONNS_ZIP connections) plain (zero-copy
#      sendfile) vs TLS (streamed), and one connection with curl: plain, TLS HTTP/1.1, TLS HTTP/2;
#      Granary's heap high-water mark (granary_jvm_heap_peak_bytes) after each, under -Xmx$HEAP;
#   2. a hot .info under CONNS_INFO (1,000) keep-alive connections: requests/s and p50/p99 latency,
#      plain and TLS.
# Not a test: figures depend on the machine. Bounded: each wrk run lasts DURATION seconds.
#
#   bash bench/tls.sh            (needs: wrk curl openssl python3, a built proxy-server/target/granary.jar)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-10}
# The .info runs open CONNS_INFO TLS connections at once; the handshakes take seconds on a small
# machine, so those runs are longer, and their p99 still includes that start.
INFO_DURATION=${INFO_DURATION:-30}
THREADS=${THREADS:-2}
CONNS_ZIP=${CONNS_ZIP:-4}
CONNS_INFO=${CONNS_INFO:-1000}
ZIP_MB=${ZIP_MB:-100}
HEAP=${HEAP:-256m}
TLS_PORT=${TLS_PORT:-18443}
PLAIN_PORT=${PLAIN_PORT:-18080}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=${JAR:-proxy-server/target/granary.jar}

bench_require wrk curl openssl python3
bench_jar
[ "$(ulimit -n)" -ge $((CONNS_INFO * 2 + 200)) ] || ulimit -n $((CONNS_INFO * 2 + 200)) 2>/dev/null \
  || { echo "bench: raise the open-file limit (ulimit -n) to $((CONNS_INFO * 2 + 200))" >&2; exit 1; }

bench_workdir tls-bench

# 1. A test CA and a server certificate for 127.0.0.1 (ECDSA P-256, as most public certificates now are).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=bench CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=granary" \
  -keyout "$work/key.pem" -out "$work/req.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/ext.cnf"
openssl x509 -req -in "$work/req.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
  -extfile "$work/ext.cnf" -out "$work/cert.pem" 2>/dev/null

# 2. An upstream GOPROXY tree: a small .info and a ZIP_MB zip of incompressible data.
python3 - "$work/upstream" "$ZIP_MB" <<'PY'
import os, sys, zipfile
root, mb = sys.argv[1], int(sys.argv[2])
d = os.path.join(root, "example.com", "bench", "@v")
os.makedirs(d)
open(os.path.join(d, "list"), "w").write("v1.0.0\n")
open(os.path.join(d, "v1.0.0.info"), "w").write('{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}')
mod = "module example.com/bench\n"
open(os.path.join(d, "v1.0.0.mod"), "w").write(mod)
with zipfile.ZipFile(os.path.join(d, "v1.0.0.zip"), "w", zipfile.ZIP_STORED) as z:
    z.writestr("example.com/bench@v1.0.0/go.mod", mod)
    with z.open("example.com/bench@v1.0.0/data.bin", "w", force_zip64=True) as f:
        left = mb << 20
        while left > 0:
            n = min(8 << 20, left)
            f.write(os.urandom(n))
            left -= n
PY

# 3. Granary with both listeners, warmed (the first request fetches, verifies and commits).
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx$HEAP -jar "$JAR" serve --listen 127.0.0.1:$TLS_PORT \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --tls-plain-listen 127.0.0.1:$PLAIN_PORT \
  --http-max-connections-per-client 0 --storage "$work/storage" --upstream "file://$work/upstream" --sumdb off \
  >"$work/granary.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PLAIN_PORT/healthz" granary
plain="http://127.0.0.1:$PLAIN_PORT"
tls="https://127.0.0.1:$TLS_PORT"
zip=/example.com/bench/@v/v1.0.0.zip
info=/example.com/bench/@v/v1.0.0.info
curl -fs -o /dev/null "$plain$zip"
curl -fs -o /dev/null "$plain$info"
cmp <(curl -fs "$plain$zip") <(curl -fs --cacert "$work/ca.pem" --http2 "$tls$zip") || { echo "bench: bodies differ" >&2; exit 1; }

heap_peak_mb() {
  curl -fs "$plain/metrics" | awk '/^granary_jvm_heap_peak_bytes / {printf "%.0f", $2 / 1048576}'
}

# wrk's Requests/sec, Transfer/sec in MB/s, and its p50 and p99 latency in ms.
measure() { # url conns [seconds] -> "req/s MB/s p50ms p99ms"
  wrk -t"$THREADS" -c"$2" -d"${3:-$DURATION}s" --timeout 30s --latency "$1" > "$work/wrk.out"
  awk 'function ms(v) { if (v ~ /us$/) return substr(v, 1, length(v)-2) / 1000;
                        if (v ~ /ms$/) return substr(v, 1, length(v)-2);
                        if (v ~ /s$/) return substr(v, 1, length(v)-1) * 1000; return v }
       /Requests\/sec/ {r=$2}
       /Transfer\/sec/ {v=$2; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
                        m = (u=="GB") ? n*1024 : (u=="MB") ? n : (u=="KB") ? n/1024 : n/1048576}
       $1 == "50%" {p50 = ms($2)} $1 == "99%" {p99 = ms($2)}
       /Socket errors/ {errors = $0}
       END {printf "%.1f %.1f %.2f %.2f\n", r, m, p50, p99; if (errors != "") print errors > "/dev/stderr"}' "$work/wrk.out"
}

# One download on one connection, in MB/s, and the HTTP version curl used.
single() { # url curl-args... -> "MB/s version"
  local url=$1; shift
  local best=0 v=""
  for _ in 1 2 3; do
    read -r speed v < <(curl -fs -o /dev/null -w '%{speed_download} %{http_version}\n' "$@" "$url")
    best=$(awk -v a="$best" -v b="$speed" 'BEGIN{print (b > a) ? b : a}')
  done
  awk -v s="$best" -v v="$v" 'BEGIN{printf "%.1f %s\n", s / 1048576, v}'
}

echo "warming up..."
measure "$plain$info" 16 >/dev/null
measure "$tls$info" 16 >/dev/null
measure "$tls$zip" 2 >/dev/null

read -r _ plain_zip _ _ < <(measure "$plain$zip" "$CONNS_ZIP"); heap_plain=$(heap_peak_mb)
read -r _ tls_zip _ _ < <(measure "$tls$zip" "$CONNS_ZIP"); heap_tls=$(heap_peak_mb)
read -r one_plain _ < <(single "$plain$zip")
read -r one_tls1 v1 < <(single "$tls$zip" --cacert "$work/ca.pem" --http1.1)
read -r one_h2 v2 < <(single "$tls$zip" --cacert "$work/ca.pem" --http2)
heap_all=$(heap_peak_mb)
read -r plain_rps _ plain_p50 plain_p99 < <(measure "$plain$info" "$CONNS_INFO" "$INFO_DURATION")
read -r tls_rps _ tls_p50 tls_p99 < <(measure "$tls$info" "$CONNS_INFO" "$INFO_DURATION")

printf '\n%s\n' "Granary, loopback, $(nproc) cores (load average $(cut -d' ' -f1 /proc/loadavg)), -Xmx$HEAP, wrk ${DURATION}s per zip run, ${INFO_DURATION}s per .info run"
printf '%-46s %12s %12s %8s\n' "" plain TLS TLS/plain
printf '%-46s %12s %12s %8.2f\n' "${ZIP_MB} MB .zip MB/s, wrk HTTP/1.1 c=$CONNS_ZIP" "$plain_zip" "$tls_zip" \
  "$(awk -v a="$tls_zip" -v b="$plain_zip" 'BEGIN{print a/b}')"
printf '%-46s %12s %12s %8.2f\n' "${ZIP_MB} MB .zip MB/s, curl one connection HTTP/1.1" "$one_plain" "$one_tls1" \
  "$(awk -v a="$one_tls1" -v b="$one_plain" 'BEGIN{print a/b}')"
printf '%-46s %12s %12s %8s\n' "${ZIP_MB} MB .zip MB/s, curl one connection HTTP/$v2" "-" "$one_h2" ""
printf '%-46s %12s %12s\n' "heap high-water mark after the zip runs, MB" "$heap_plain" "$heap_tls (all: $heap_all)"
printf '%-46s %12s %12s %8.2f\n' "hot .info requests/s, c=$CONNS_INFO" "$plain_rps" "$tls_rps" \
  "$(awk -v a="$tls_rps" -v b="$plain_rps" 'BEGIN{print a/b}')"
printf '%-46s %12s %12s\n' "hot .info p50 ms, c=$CONNS_INFO" "$plain_p50" "$tls_p50"
printf '%-46s %12s %12s\n' "hot .info p99 ms, c=$CONNS_INFO" "$plain_p99" "$tls_p99"
grep -E "ERROR|Exception" "$work/granary.log" | head -5 || true
