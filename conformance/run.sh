#!/usr/bin/env bash
# Conformance: the go command's own module script tests (src/cmd/go/testdata/script/mod_*.txt) run
# twice with the machine's Go: against cmd/go's test proxy alone (the baseline), then through
# Granary in front of that same test proxy. Passes when every script that passes in the baseline
# also passes through Granary, except the accepted differences in conformance/accepted.txt.
# See conformance/README.md for how the pieces fit and why.
#
# Usage: conformance/run.sh [--jar PATH] [--run REGEXP]
#   --jar   Granary's jar (default proxy-server/target/granary.jar, built when missing or older than the sources)
#   --run   which scripts, as a go test -run pattern (default '^TestScript$/^mod_')
# Environment: GRANARY_CONFORMANCE_GOROOT (default /usr/local/go; never modified: a copy is patched),
#   GRANARY_CONFORMANCE_PARALLEL (scripts at once, default 2), GRANARY_CONFORMANCE_WORK (default
#   target/conformance).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

jar=$root/proxy-server/target/granary.jar
run_pattern='^TestScript$/^mod_'
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar=$2; shift 2 ;;
    --run) run_pattern=$2; shift 2 ;;
    *) echo "conformance: unknown argument $1" >&2; exit 2 ;;
  esac
done

src_goroot=${GRANARY_CONFORMANCE_GOROOT:-/usr/local/go}
parallel=${GRANARY_CONFORMANCE_PARALLEL:-2}
work=${GRANARY_CONFORMANCE_WORK:-$root/target/conformance}
accepted=$here/accepted.txt
# The go command's test checksum database (src/cmd/go/proxy_test.go, testSumDBVerifierKey).
sumdb_key='localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4heY3hkjiSES/DSQniBqIeQ/YppAUtK6'
# Modules for which the test checksum database is wrong: proxy_test.go's proxyGoSum leaves files whose
# names start with '.' out of its h1 (example.com/dotname has .dot/dot.go). The go command never asks
# the database for it (mod_invalid_path_dotname ships the right go.sum lines); Granary would, and
# would refuse the module, so it is pinned there instead, as a private module would be.
nosumdb='example.com/dotname'
# Bump when the patches below change, so a cached copy is rebuilt.
patch_level=1

if [ ! -x "$src_goroot/bin/go" ] || [ ! -d "$src_goroot/src/cmd/go/testdata/script" ]; then
  echo "conformance: no Go source tree at $src_goroot" >&2
  exit 2
fi
unset GOROOT GOFLAGS GOPATH GOBIN GOENV CMDGO_TEST_RUN_MAIN GOPROXY GOSUMDB GONOSUMDB GOPRIVATE GONOPROXY
export GOTOOLCHAIN=local GOTELEMETRY=off
go_version=$("$src_goroot/bin/go" env GOVERSION)
cache=$work/$go_version-p$patch_level
goroot=$cache/goroot
testbin=$cache/cmd-go.test
# The go command's build cache, as the plain cmd/go tests use it (content-addressed, so safe to share;
# the copied tree reuses what /usr/local/go compiled). Without one, a cache under $work.
GOCACHE=$("$src_goroot/bin/go" env GOCACHE 2>/dev/null || true)
if [ -z "$GOCACHE" ] || [ "$GOCACHE" = off ]; then
  GOCACHE=$work/gocache
fi
export GOCACHE
export GOMODCACHE=$work/gomodcache
mkdir -p "$work" "$GOCACHE"

# ---- the patched copy of the Go tree and the cmd/go test binary, cached per Go version ----------
if [ ! -x "$testbin" ]; then
  echo "conformance: copying $src_goroot ($go_version) to $goroot and building the cmd/go test binary"
  rm -rf "$cache"
  mkdir -p "$cache"
  cp -a "$src_goroot" "$goroot.tmp"
  cmdgo=$goroot.tmp/src/cmd/go
  # 1. The scripts' GOPROXY: the front below instead of the in-process test proxy. Unset, the binary
  #    behaves exactly as the original (that is the baseline run).
  sed -i 's|proxyURL = "http://" + \*proxyAddr + "/mod"$|&; if u := os.Getenv("GRANARY_CONFORMANCE_GOPROXY"); u != "" { proxyURL = u }|' \
    "$cmdgo/proxy_test.go"
  grep -q 'GRANARY_CONFORMANCE_GOPROXY' "$cmdgo/proxy_test.go" \
    || { echo "conformance: cannot patch proxy_test.go (did its proxyURL line change?)" >&2; exit 1; }
  # 2. This machine has no network beyond loopback: the [net:HOST] condition is false, so scripts
  #    that need the network skip themselves in both runs (as in -short, without skipping the rest).
  sed -i 's|if !testenv.HasExternalNetwork() {|if !testenv.HasExternalNetwork() \|\| os.Getenv("GRANARY_CONFORMANCE_OFFLINE") != "" {|' \
    "$cmdgo/scriptconds_test.go"
  grep -q 'GRANARY_CONFORMANCE_OFFLINE' "$cmdgo/scriptconds_test.go" \
    || { echo "conformance: cannot patch scriptconds_test.go (did hasNet change?)" >&2; exit 1; }
  mv "$goroot.tmp" "$goroot"
  (cd "$goroot/src/cmd/go" && GOPROXY=off "$goroot/bin/go" test -c -o "$testbin.tmp" .)
  mv "$testbin.tmp" "$testbin"
fi
front_bin=$cache/front
(cd "$here/front" && GOPROXY=off GOFLAGS="-mod=mod -modcacherw" "$goroot/bin/go" test -count=1 -v . >/dev/null \
  && GOPROXY=off GOFLAGS="-mod=mod -modcacherw" "$goroot/bin/go" build -o "$front_bin" .) \
  || { echo "conformance: conformance/front does not build or its test fails" >&2; exit 1; }

# ---- Granary's jar and a JDK --------------------------------------------------------------------
. "$root/bin/jdk.sh"
if [ ! -f "$jar" ] || { [ "$jar" = "$root/proxy-server/target/granary.jar" ] \
    && [ -n "$(cd "$root" && find pom.xml proxy-*/pom.xml proxy-*/src/main -newer "$jar" -print -quit 2>/dev/null)" ]; }; then
  echo "conformance: building $jar"
  (cd "$root" && mvn -B -q -Dstyle.color=never -DskipTests package)
fi

# ---- helpers ------------------------------------------------------------------------------------
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

# wait_for LOGFILE REGEXP PID: prints the first match's first group (an address), or fails.
wait_for() {
  local log=$1 re=$2 pid=$3 i addr
  for i in $(seq 1 600); do
    addr=$(sed -n -E "s#.*$re.*#\\1#p" "$log" | head -1)
    if [ -n "$addr" ]; then
      echo "$addr"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "conformance: process $pid exited; its log:" >&2; cat "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "conformance: timed out waiting for /$re/ in $log" >&2
  return 1
}

# run_scripts NAME [ENV...]: runs the script tests ($pattern, else $run_pattern), writes NAME.log and
# NAME.results ("PASS name").
run_scripts() {
  local name=$1
  shift
  local start end
  start=$(date +%s)
  (cd "$goroot/src/cmd/go" && env "$@" GRANARY_CONFORMANCE_OFFLINE=1 "$testbin" -test.run "${pattern:-$run_pattern}" \
    -test.parallel "$parallel" -test.v -test.timeout 30m >"$out/$name.log" 2>&1) || true
  end=$(date +%s)
  sed -n -E 's/^ *--- (PASS|FAIL|SKIP): TestScript\/([^ ]+) .*/\1 \2/p' "$out/$name.log" | sort -k2 >"$out/$name.results"
  eval "${name}_seconds=$((end - start))"
  if ! grep -q . "$out/$name.results"; then
    echo "conformance: the $name run reported no script results; the end of its log:" >&2
    tail -30 "$out/$name.log" >&2
    exit 1
  fi
}

count() { # RESULTS STATUS
  grep -c "^$2 " "$1" || true
}

out=$work/last
rm -rf "$out"
mkdir -p "$out"

# ---- run 1: the test proxy alone -----------------------------------------------------------------
echo "conformance: $go_version, scripts matching $run_pattern, $parallel at a time"
run_scripts baseline

# ---- run 2: through Granary ----------------------------------------------------------------------
# cmd/go's test proxy alone, as its own process (-proxy ADDR serves and runs no test).
(cd "$goroot/src/cmd/go" && exec "$testbin" -proxy 127.0.0.1:0) >"$out/testproxy.log" 2>&1 &
pids+=($!)
testproxy=$(wait_for "$out/testproxy.log" 'GOPROXY=http://([0-9.:]+)/mod' "${pids[-1]}")

# Granary, upstream the test proxy; its checksum database the test one, reached through that
# upstream's /sumdb/localhost.localdev/sumdb/ (the name has a path).
java --enable-native-access=ALL-UNNAMED -Xmx512m -jar "$jar" serve --listen 127.0.0.1:0 --storage "$out/storage" \
  --upstream "http://$testproxy/mod" --sumdb "$sumdb_key" --nosumdb "$nosumdb" >"$out/granary-server.log" 2>&1 &
pids+=($!)
granary=$(wait_for "$out/granary-server.log" 'granary listening on ([0-9.:]+)' "${pids[-1]}")

"$front_bin" -listen 127.0.0.1:0 -testproxy "http://$testproxy" -granary "http://$granary" >"$out/front.log" 2>&1 &
pids+=($!)
front=$(wait_for "$out/front.log" 'front listening on ([0-9.:]+)' "${pids[-1]}")
echo "conformance: test proxy http://$testproxy/mod, Granary http://$granary, front http://$front/mod"

run_scripts granary GRANARY_CONFORMANCE_GOPROXY="http://$front/mod"

# ---- compare ------------------------------------------------------------------------------------
{ grep -E -v '^[[:space:]]*(#|$)' "$accepted" || true; } | awk '{print $1}' | sort -u >"$out/accepted.names"
awk '$1 == "PASS" {print $2}' "$out/baseline.results" >"$out/baseline.pass"
awk '$1 == "PASS" {print $2}' "$out/granary.results" >"$out/granary.pass"
comm -23 "$out/baseline.pass" "$out/granary.pass" | comm -23 - "$out/accepted.names" >"$out/unexpected"

# A few unexpected failures get one more run through the same Granary, to tell a script that failed
# by chance (timing on a loaded machine) from one that differs; those that pass then are named below.
: >"$out/retry.pass"
n=$(wc -l <"$out/unexpected")
if [ "$n" -gt 0 ] && [ "$n" -le 20 ]; then
  echo "conformance: running the $n unexpected failures once more through Granary"
  pattern="^TestScript\$/^($(paste -sd'|' "$out/unexpected"))\$" run_scripts retry GRANARY_CONFORMANCE_GOPROXY="http://$front/mod"
  awk '$1 == "PASS" {print $2}' "$out/retry.results" >"$out/retry.pass"
fi
cleanup
pids=()

report() { # NAME TITLE
  local r=$out/$1.results s=${1}_seconds
  printf 'conformance %-32s %3d passed, %3d failed, %3d skipped in %d s\n' "$2:" \
    "$(count "$r" PASS)" "$(count "$r" FAIL)" "$(count "$r" SKIP)" "${!s}"
}
report baseline "test proxy alone (baseline)"
report granary "through Granary"

comm -23 "$out/baseline.pass" "$out/granary.pass" >"$out/differences"
comm -12 "$out/differences" "$out/accepted.names" >"$out/accepted.differ"
comm -23 "$out/differences" "$out/accepted.names" | comm -23 - "$out/retry.pass" >"$out/unexpected"
comm -12 "$out/baseline.pass" "$out/granary.pass" | comm -12 - "$out/accepted.names" >"$out/accepted.same"

conforming=$(( $(comm -12 "$out/baseline.pass" "$out/granary.pass" | wc -l) + $(wc -l <"$out/retry.pass") ))
n_accepted=$(wc -l <"$out/accepted.differ")
n_unexpected=$(wc -l <"$out/unexpected")

if [ -s "$out/accepted.differ" ]; then
  echo "accepted differences (conformance/accepted.txt):"
  while read -r s; do
    printf '  %-36s %s\n' "$s" "$(awk -v s="$s" '$1 == s {sub(/^[^ \t]+[ \t]+/, ""); print; exit}' "$accepted")"
  done <"$out/accepted.differ"
fi
if [ -s "$out/accepted.same" ]; then
  echo "listed in accepted.txt but passing through Granary in this run: $(tr '\n' ' ' <"$out/accepted.same")"
fi
fails_only_through=$(comm -13 "$out/baseline.pass" "$out/granary.pass" | tr '\n' ' ')
if [ -n "$fails_only_through" ]; then
  echo "pass through Granary but not in the baseline: $fails_only_through"
fi
if [ -s "$out/retry.pass" ]; then
  echo "failed through Granary once, passed on a second run (counted as passed): $(tr '\n' ' ' <"$out/retry.pass")"
fi
if [ -s "$out/unexpected" ]; then
  echo "UNEXPECTED differences: pass against the test proxy, fail through Granary:"
  while read -r s; do
    echo "  $s"
    # The end of the failing script's log: go test -v streams each test's lines after a
    # "=== RUN|CONT|NAME  <test>" header naming it.
    awk -v s="TestScript/$s" '/^=== (RUN|PAUSE|CONT|NAME) / {on = ($3 == s); next} on {print "    | " $0}' \
      "$out/granary.log" | tail -40
  done <"$out/unexpected"
  echo "the script logs are in $out/granary.log, the server log in $out/granary-server.log"
fi
echo "logs and results: $out"
# The verdict, counted in scripts that pass in the baseline: conforming, unexpected, accepted.
echo "conformance: $conforming passed, $n_unexpected failed, $n_accepted skipped"
[ "$n_unexpected" -eq 0 ]
