#!/usr/bin/env bash
# Soak: 1,000 client connections against Granary on loopback for DURATION seconds (default 600), with
# nginx on loopback as the upstream serving a generated GOPROXY tree. Three wrk runs at once:
#   - 500 keep-alive connections, one request at a time: hot .info/.mod/.zip/list/@latest, and now and
#     then a version never asked for before (cold: fetched from the upstream, checked, committed);
#   - 400 keep-alive connections with 8 requests pipelined per write (hot);
#   - 100 connections with "Connection: close" (a new connection per request; hot and cold).
# Every request names something that exists, so every answer must be 200. Prints the requests, the
# errors (socket errors, timeouts, non-200 answers, Granary's own 5xx count: all must be 0), p50/p99
# latency per run, and Granary's heap and RSS before and after the load. Exits non-zero on any error.
#
#   bash bench/soak.sh                 (needs: nginx wrk python3 curl, a built proxy-server/target/granary.jar)
#   DURATION=60 bash bench/soak.sh     (a one-minute run)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-600}
GRANARY_PORT=${GRANARY_PORT:-18090}
NGINX_PORT=${NGINX_PORT:-18091}
HEAP=${HEAP:-512m}
HOT_VERSIONS=${HOT_VERSIONS:-300}
# Enough never-asked versions for one cold request every COLD_EVERY requests on the cold-capable connections.
COLD_EVERY=${COLD_EVERY:-200}
COLD_VERSIONS=${COLD_VERSIONS:-$(( DURATION * 20 > 2000 ? DURATION * 20 : 2000 ))}
BIG_ZIPS=${BIG_ZIPS:-4}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=${JAR:-proxy-server/target/granary.jar}

bench_require nginx wrk python3 curl
bench_jar

bench_workdir soak

# 1. The upstream tree: HOT_VERSIONS + COLD_VERSIONS small module versions, and a few ~2 MiB zips
#    (above the hot tier's 1 MiB item limit: sent from disk zero-copy). Path lists for the clients.
python3 - "$work" "$HOT_VERSIONS" "$COLD_VERSIONS" "$BIG_ZIPS" <<'PY'
import io, json, os, sys, zipfile
work, hot, cold, big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
root = os.path.join(work, "upstream")
def version(module, v, files):
    d = os.path.join(root, module, "@v")
    os.makedirs(d, exist_ok=True)
    mod = "module %s\n" % module
    with open(os.path.join(d, v + ".info"), "w") as f:
        json.dump({"Version": v, "Time": "2024-01-01T00:00:00Z"}, f)
    with open(os.path.join(d, v + ".mod"), "w") as f:
        f.write(mod)
    with zipfile.ZipFile(os.path.join(d, v + ".zip"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("%s@%s/go.mod" % (module, v), mod)
        for name, data in files.items():
            z.writestr("%s@%s/%s" % (module, v, name), data)
    with open(os.path.join(d, "list"), "a") as f:
        f.write(v + "\n")
    return ["/%s/@v/%s%s" % (module, v, ext) for ext in (".info", ".mod", ".zip")]
hot_paths, cold_paths = [], []
for i in range(hot + cold):
    module = "example.com/soak/m%d" % (i // 3)
    v = "v1.0.%d" % (i % 3)
    paths = version(module, v, {"p.go": "package p\n\n// N is %d.\nconst N = %d\n" % (i, i)})
    if i < hot:
        hot_paths += paths
        if i % 3 == 0:
            hot_paths += ["/%s/@v/list" % module, "/%s/@latest" % module]
    else:
        cold_paths.append(paths[(i // 3) % 3])
for i in range(big):
    module = "example.com/soak/big%d" % i
    hot_paths += version(module, "v1.0.0", {"data.bin": os.urandom(2 << 20)})
for name, paths in (("hot.txt", hot_paths), ("cold.txt", cold_paths)):
    with open(os.path.join(work, name), "w") as f:
        f.write("\n".join(paths) + "\n")
PY

# 2. nginx serves the tree: the upstream.
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  types { application/json info; application/zip zip; text/plain mod; }
  default_type text/plain;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/upstream;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)

# 3. Granary. All clients come from 127.0.0.1, as if behind one load balancer: no per-address cap.
GRANARY_HTTP_MAX_CONNECTIONS_PER_CLIENT=0 "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx"$HEAP" -jar "$JAR" serve \
  --listen 127.0.0.1:$GRANARY_PORT --storage "$work/storage" --upstream "http://127.0.0.1:$NGINX_PORT" --sumdb off \
  >"$work/granary.log" 2>&1 &
granary=$!
pids+=($granary)
wait_http "http://127.0.0.1:$GRANARY_PORT/healthz" granary "$work/granary.log"

# Heap (sum of the heap pools' use, from /metrics) and resident set size (from /proc), in MiB.
memory() {
  local heap peak rss
  heap=$(curl -fs "http://127.0.0.1:$GRANARY_PORT/metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ {s += $NF} END {printf "%.0f", s / 1048576}')
  peak=$(curl -fs "http://127.0.0.1:$GRANARY_PORT/metrics" | awk '/^granary_jvm_heap_peak_bytes / {printf "%.0f", $NF / 1048576}')
  rss=$(awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$granary/status")
  echo "$heap $peak $rss"
}
read -r heap0 _ rss0 < <(memory)

# Warm the hot set: fetched, verified and committed once before the load.
sed "s|^|http://127.0.0.1:$GRANARY_PORT|" "$work/hot.txt" | xargs -P 8 -I{} curl -fs -o /dev/null {}
read -r heap1 _ rss1 < <(memory)

# 4. The clients. One Lua script, three modes.
cat >"$work/soak.lua" <<'LUA'
-- args: mode (keepalive|pipeline|close), work directory, cold slice, cold slices, cold every
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function lines(file)
  local t = {}
  for l in io.lines(file) do if l ~= "" then t[#t + 1] = l end end
  return t
end

function init(args)
  mode, work = args[1], args[2]
  local slice, slices, every = tonumber(args[3]), tonumber(args[4]), tonumber(args[5])
  hot = lines(work .. "/hot.txt")
  cold = {}
  if mode ~= "pipeline" then
    -- Each thread of each cold-capable run takes its own share of never-asked versions.
    local all = lines(work .. "/cold.txt")
    local me, of = slice + id, slices
    for i = 1, #all do if (i - 1) % of == me then cold[#cold + 1] = all[i] end end
  end
  coldEvery, sent, coldSent, bad = every, 0, 0, 0
  math.randomseed(os.time() * 1000 + id * 7919 + slice)
  if mode == "close" then wrk.headers["Connection"] = "close" end
end

function request()
  if mode == "pipeline" then
    local r = {}
    for i = 1, 8 do r[i] = wrk.format("GET", hot[math.random(#hot)]) end
    return table.concat(r)
  end
  sent = sent + 1
  if sent % coldEvery == 0 and coldSent < #cold then
    coldSent = coldSent + 1
    return wrk.format("GET", cold[coldSent])
  end
  return wrk.format("GET", hot[math.random(#hot)])
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local badTotal, coldTotal = 0, 0
  for _, t in ipairs(threads) do
    badTotal = badTotal + t:get("bad")
    coldTotal = coldTotal + t:get("coldSent")
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d errors=%d socket=%d/%d/%d/%d non200=%d cold=%d p50=%.2f p99=%.2f seconds=%.1f\n",
    summary.requests, e.connect + e.read + e.write + e.timeout + badTotal, e.connect, e.read, e.write, e.timeout,
    badTotal, coldTotal, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
LUA

url="http://127.0.0.1:$GRANARY_PORT"
echo "soak: ${DURATION}s, 1000 connections, $(wc -l <"$work/hot.txt") hot paths, $(wc -l <"$work/cold.txt") cold versions;" \
  "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the load"
wrk -t2 -c500 -d"${DURATION}s" --timeout 60s -s "$work/soak.lua" "$url" -- keepalive "$work" 0 3 "$COLD_EVERY" >"$work/keepalive.out" 2>&1 &
w1=$!
wrk -t2 -c400 -d"${DURATION}s" --timeout 60s -s "$work/soak.lua" "$url" -- pipeline "$work" 0 3 "$COLD_EVERY" >"$work/pipeline.out" 2>&1 &
w2=$!
wrk -t1 -c100 -d"${DURATION}s" --timeout 60s -s "$work/soak.lua" "$url" -- close "$work" 2 3 "$(( COLD_EVERY / 10 ))" >"$work/close.out" 2>&1 &
w3=$!
pids+=($w1 $w2 $w3)
wait $w1 $w2 $w3 || true
read -r heap2 peak2 rss2 < <(memory)

# 5. Report.
fail=0
printf '\n%-34s %10s %8s %8s %8s %10s %10s\n' "run" "requests" "req/s" "errors" "cold" "p50 ms" "p99 ms"
for run in keepalive pipeline close; do
  line=$(grep '^RESULT' "$work/$run.out" || true)
  if [ -z "$line" ]; then echo "soak: wrk $run printed no result:" >&2; cat "$work/$run.out" >&2; fail=1; continue; fi
  eval "$(echo "$line" | sed 's/^RESULT //; s/socket=[^ ]*//')"
  label=$(case $run in keepalive) echo "500 keep-alive, one at a time";; pipeline) echo "400 keep-alive, 8 pipelined";; close) echo "100 Connection: close";; esac)
  printf '%-34s %10d %8.0f %8d %8d %10s %10s\n' "$label" "$requests" "$(awk -v r="$requests" -v s="$seconds" 'BEGIN{print r/s}')" "$errors" "$cold" "$p50" "$p99"
  [ "$errors" -eq 0 ] || { fail=1; grep -E 'Socket errors|Non-2xx' "$work/$run.out" >&2 || true; }
done
metrics=$(curl -fs "$url/metrics")
server5xx=$(echo "$metrics" | awk '/^granary_http_requests_seconds_count\{.*status="5/ {s += $NF} END {printf "%d", s}')
committed=$(echo "$metrics" | awk '/^granary_versions_committed_total/ {printf "%d", $NF}')
printf '\ngranary: %s 5xx answers, %s versions committed (fetched from the upstream)\n' "$server5xx" "${committed:-0}"
printf 'granary heap used (MiB): start %s, after warm-up %s, end %s, peak %s; RSS (MiB): start %s, after warm-up %s, end %s\n' \
  "$heap0" "$heap1" "$heap2" "$peak2" "$rss0" "$rss1" "$rss2"
[ "$server5xx" -eq 0 ] || fail=1
if grep -qE ' ERROR ' "$work/granary.log"; then echo "soak: granary logged errors:" >&2; grep -E ' ERROR ' "$work/granary.log" | head -20 >&2; fail=1; fi
[ "$fail" -eq 0 ] && echo "soak: no errors" || { echo "soak: FAILED" >&2; exit 1; }
