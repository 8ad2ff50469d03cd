#!/usr/bin/env bash
# Load benchmark: the same GOPROXY tree served by nginx and by a warm Granary, measured with wrk on
# loopback in one run. Prints requests/s for a small .info and throughput for a 100 MB .zip, and the
# Granary/nginx ratios. Bounded: each wrk run lasts DURATION seconds.
#
#   bash bench/run.sh            (needs: nginx-light wrk python3, a built proxy-server/target/granary.jar)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-10}
THREADS=${THREADS:-2}
CONNS_SMALL=${CONNS_SMALL:-32}
CONNS_ZIP=${CONNS_ZIP:-4}
ZIP_MB=${ZIP_MB:-100}
GRANARY_PORT=${GRANARY_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=${JAR:-proxy-server/target/granary.jar}

bench_require nginx wrk python3 curl
bench_jar

bench_workdir bench

# 1. An upstream GOPROXY tree with one module: a small .info and a ZIP_MB zip of incompressible data.
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
    chunk = 8 << 20
    with z.open("example.com/bench@v1.0.0/data.bin", "w", force_zip64=True) as f:
        left = mb << 20
        while left > 0:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n
PY

# 2. Granary, warmed: the first request fetches, verifies and commits; later ones are cache hits.
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx512m -jar "$JAR" serve --listen 127.0.0.1:$GRANARY_PORT \
  --storage "$work/storage" --upstream "file://$work/upstream" --sumdb off >"$work/granary.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$GRANARY_PORT/healthz" granary
curl -fs -o /dev/null "http://127.0.0.1:$GRANARY_PORT/example.com/bench/@v/v1.0.0.zip"
curl -fs -o /dev/null "http://127.0.0.1:$GRANARY_PORT/example.com/bench/@v/v1.0.0.info"

# 3. nginx serving Granary's own storage root: the very same files.
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/json info; application/zip zip; text/plain mod; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/storage;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
wait_http "http://127.0.0.1:$NGINX_PORT/example.com/bench/@v/v1.0.0.info" nginx "$work/nginx/logs/error.log"
cmp <(curl -fs "http://127.0.0.1:$NGINX_PORT/example.com/bench/@v/v1.0.0.zip") \
    <(curl -fs "http://127.0.0.1:$GRANARY_PORT/example.com/bench/@v/v1.0.0.zip") || { echo "bench: bodies differ" >&2; exit 1; }

# wrk reports Requests/sec and Transfer/sec; normalise the transfer rate to MB/s.
measure() { # url conns -> "req/s MB/s"
  wrk -t"$THREADS" -c"$2" -d"${DURATION}s" --latency "$1" > "$work/wrk.out"
  awk '/Requests\/sec/ {r=$2}
       /Transfer\/sec/ {v=$2; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
                        m = (u=="GB") ? n*1024 : (u=="MB") ? n : (u=="KB") ? n/1024 : n/1048576}
       END {printf "%.1f %.1f\n", r, m}' "$work/wrk.out"
}

echo "warming up..."
measure "http://127.0.0.1:$GRANARY_PORT/example.com/bench/@v/v1.0.0.info" 8 >/dev/null
measure "http://127.0.0.1:$NGINX_PORT/example.com/bench/@v/v1.0.0.info" 8 >/dev/null

read -r g_info_rps _ < <(measure "http://127.0.0.1:$GRANARY_PORT/example.com/bench/@v/v1.0.0.info" "$CONNS_SMALL")
read -r n_info_rps _ < <(measure "http://127.0.0.1:$NGINX_PORT/example.com/bench/@v/v1.0.0.info" "$CONNS_SMALL")
read -r _ g_zip_mbs < <(measure "http://127.0.0.1:$GRANARY_PORT/example.com/bench/@v/v1.0.0.zip" "$CONNS_ZIP")
read -r _ n_zip_mbs < <(measure "http://127.0.0.1:$NGINX_PORT/example.com/bench/@v/v1.0.0.zip" "$CONNS_ZIP")

printf '\n%-34s %14s %14s %8s\n' "benchmark (${DURATION}s each, loopback)" granary nginx ratio
printf '%-34s %14s %14s %8.2f\n' ".info requests/s (c=$CONNS_SMALL)" "$g_info_rps" "$n_info_rps" "$(awk -v a="$g_info_rps" -v b="$n_info_rps" 'BEGIN{print a/b}')"
printf '%-34s %14s %14s %8.2f\n' "${ZIP_MB} MB .zip MB/s (c=$CONNS_ZIP)" "$g_zip_mbs" "$n_zip_mbs" "$(awk -v a="$g_zip_mbs" -v b="$n_zip_mbs" 'BEGIN{print a/b}')"
