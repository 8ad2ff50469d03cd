#!/usr/bin/env bash
# Throughput of cached Go distribution files: a 100 MB release archive (/dl/) and a 70 MB toolchain
# module zip (golang.org/toolchain), served by a warm Granary and by nginx serving Granary's own storage
# root (the very same files), measured with wrk on loopback. Granary and nginx alternate for ROUNDS rounds
# (the machine is shared: alternating spreads other load over both); prints the median MB/s of each and
# the Granary/nginx ratio.
#
# The archive comes from a release site on loopback (nginx: a listing, the archive and its .asc signed by
# a throwaway gpg key), so Granary fetches it once and verifies SHA-256 and signature before serving;
# the toolchain zip comes from a file:// GOPROXY tree (checksum database off: what is measured is
# serving a committed zip, which does not depend on how it was verified). Data is generated, incompressible.
#
#   bash bench/dl.sh     (needs: nginx-light wrk python3 curl gnupg, a built proxy-server/target/granary.jar)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

DURATION=${DURATION:-6}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-4}
ARCHIVE_MB=${ARCHIVE_MB:-100}
TOOLCHAIN_MB=${TOOLCHAIN_MB:-70}
GRANARY_PORT=${GRANARY_PORT:-18090}
NGINX_PORT=${NGINX_PORT:-18091}
SITE_PORT=${SITE_PORT:-18092}
JAVA=${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
JAR=${JAR:-proxy-server/target/granary.jar}
ARCHIVE=go1.99.0.linux-amd64.tar.gz
TC_VERSION=v0.0.1-go1.99.0.linux-amd64

bench_require nginx wrk python3 curl gpg
bench_jar

bench_workdir bench-dl
bench_cleanup_hook() { gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null; }

# 1. The files: an archive of ARCHIVE_MB and a toolchain module zip of about TOOLCHAIN_MB, both random.
mkdir -p "$work/site/dl" "$work/proxy/golang.org/toolchain/@v"
python3 - "$work" "$ARCHIVE" "$ARCHIVE_MB" "$TC_VERSION" "$TOOLCHAIN_MB" <<'PY'
import os, sys, zipfile
work, archive, amb, tcv, tmb = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
def fill(f, n):
    while n > 0:
        k = min(8 << 20, n)
        f.write(os.urandom(k))
        n -= k
with open(os.path.join(work, "site", "dl", archive), "wb") as f:
    fill(f, amb << 20)
d = os.path.join(work, "proxy", "golang.org", "toolchain", "@v")
prefix = "golang.org/toolchain@" + tcv + "/"
with zipfile.ZipFile(os.path.join(d, tcv + ".zip"), "w", zipfile.ZIP_STORED) as z:
    # Roughly the shape of a real toolchain: the go binary, the compiler, the linker, then the rest.
    for name, mb in [("bin/go", 14), ("pkg/tool/linux_amd64/compile", 26), ("pkg/tool/linux_amd64/link", 8), ("lib/time/zoneinfo.zip", 1)]:
        with z.open(prefix + name, "w", force_zip64=True) as f:
            fill(f, mb << 20)
    with z.open(prefix + "src/runtime/data.bin", "w", force_zip64=True) as f:
        fill(f, max(1, tmb - 49) << 20)
open(os.path.join(d, tcv + ".mod"), "w").write("module golang.org/toolchain\n")
open(os.path.join(d, tcv + ".info"), "w").write('{"Version":"%s","Time":"2024-01-01T00:00:00Z"}\n' % tcv)
open(os.path.join(d, "list"), "w").write(tcv + "\n")
PY

# 2. A signing key made by gpg, the archive's detached signature, and the listing.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase "" --quick-gen-key "Bench Release <bench@granary.test>" ed25519 sign never 2>/dev/null
fpr=$(gpg --batch --with-colons --list-keys bench@granary.test | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --armor --export "$fpr" > "$work/release.asc"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --local-user "$fpr" --armor --detach-sign \
  --output "$work/site/dl/$ARCHIVE.asc" "$work/site/dl/$ARCHIVE" 2>/dev/null
sha=$(sha256sum "$work/site/dl/$ARCHIVE" | cut -d' ' -f1)
size=$(stat -c %s "$work/site/dl/$ARCHIVE")
cat >"$work/site/dl/listing.json" <<JSON
[{"version": "go1.99.0", "stable": true, "files": [{"filename": "$ARCHIVE", "os": "linux", "arch": "amd64",
  "version": "go1.99.0", "sha256": "$sha", "size": $size, "kind": "archive"}]}]
JSON

# 3. nginx: the release site on one port, Granary's storage root on another (after the warm-up).
mkdir -p "$work/nginx/logs" "$work/storage"
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
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$SITE_PORT;
    root $work/site;
    location = /dl/ { default_type application/json; try_files /dl/listing.json =404; }
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/storage;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
wait_http "http://127.0.0.1:$SITE_PORT/dl/?mode=json" nginx "$work/nginx/logs/error.log"

# 4. Granary, warmed: the first request of each file fetches, verifies and commits it.
"$JAVA" --enable-native-access=ALL-UNNAMED -Xmx512m -jar "$JAR" serve --listen 127.0.0.1:$GRANARY_PORT \
  --storage "$work/storage" --upstream "file://$work/proxy" --sumdb off \
  --dl-upstream "http://127.0.0.1:$SITE_PORT/dl/" --dl-keyring "$work/release.asc" --dl-key-fingerprint "$fpr" \
  >"$work/granary.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$GRANARY_PORT/healthz" granary
G_ARCHIVE="http://127.0.0.1:$GRANARY_PORT/dl/$ARCHIVE"
G_ZIP="http://127.0.0.1:$GRANARY_PORT/golang.org/toolchain/@v/$TC_VERSION.zip"
N_ARCHIVE="http://127.0.0.1:$NGINX_PORT/dl/$ARCHIVE"
N_ZIP="http://127.0.0.1:$NGINX_PORT/golang.org/toolchain/@v/$TC_VERSION.zip"
curl -fsS -o /dev/null "$G_ARCHIVE" || { echo "bench: Granary refused the archive:" >&2; tail -5 "$work/granary.log" >&2; exit 1; }
curl -fsS -o /dev/null "$G_ZIP"
cmp <(curl -fs "$N_ARCHIVE") <(curl -fs "$G_ARCHIVE") || { echo "bench: archive bodies differ" >&2; exit 1; }
cmp <(curl -fs "$N_ZIP") <(curl -fs "$G_ZIP") || { echo "bench: zip bodies differ" >&2; exit 1; }
cmp "$work/site/dl/$ARCHIVE" <(curl -fs "$G_ARCHIVE") || { echo "bench: archive differs from the release site's" >&2; exit 1; }

# wrk reports Transfer/sec; normalise it to MB/s.
measure() { # url -> MB/s
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$1" > "$work/wrk.out"
  awk '/Transfer\/sec/ {v=$2; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
                        m = (u=="GB") ? n*1024 : (u=="MB") ? n : (u=="KB") ? n/1024 : n/1048576}
       END {printf "%.1f\n", m}' "$work/wrk.out"
}

echo "warming up..."
measure "$G_ZIP" >/dev/null
measure "$N_ZIP" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
declare -A runs
for r in $(seq 1 "$ROUNDS"); do
  for pair in "g_zip $G_ZIP" "n_zip $N_ZIP" "g_arc $G_ARCHIVE" "n_arc $N_ARCHIVE"; do
    set -- $pair
    v=$(measure "$2")
    runs[$1]="${runs[$1]:-} $v"
    echo "round $r $1 $v MB/s"
  done
done
g_zip=$(tr ' ' '\n' <<<"${runs[g_zip]}" | grep . | median); n_zip=$(tr ' ' '\n' <<<"${runs[n_zip]}" | grep . | median)
g_arc=$(tr ' ' '\n' <<<"${runs[g_arc]}" | grep . | median); n_arc=$(tr ' ' '\n' <<<"${runs[n_arc]}" | grep . | median)
zip_mb=$(( $(stat -c %s "$work/proxy/golang.org/toolchain/@v/$TC_VERSION.zip") >> 20 ))

printf '\n%-44s %10s %10s %8s\n' "cached file, median MB/s ($ROUNDS x ${DURATION}s, c=$CONNS)" granary nginx ratio
printf '%-44s %10s %10s %8.2f\n' "toolchain zip ($zip_mb MB, /golang.org/toolchain/)" "$g_zip" "$n_zip" "$(awk -v a="$g_zip" -v b="$n_zip" 'BEGIN{print a/b}')"
printf '%-44s %10s %10s %8.2f\n' "release archive ($ARCHIVE_MB MB, /dl/)" "$g_arc" "$n_arc" "$(awk -v a="$g_arc" -v b="$n_arc" 'BEGIN{print a/b}')"
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
