# Shared by the bench scripts; sourced from the repository root after their settings:
#   . bench/lib.sh
#   bench_require nginx wrk python3 curl     exits naming what is missing
#   bench_jar                                exits when $JAR is not built
#   bench_workdir NAME                       $work (a fresh directory nginx workers can read), pids=(),
#                                            and a cleanup on exit: kills every pid in pids (and $pid),
#                                            runs bench_cleanup_hook if the script defines one, removes
#                                            $work unless KEEP is set (then says where it is)
#   free_port                                a free loopback port
#   wait_http URL WHAT [LOG]                 waits up to 30 s for URL to answer 2xx, else exits showing LOG

bench_require() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || { echo "bench: $t is missing (this benchmark needs: $*)" >&2; exit 1; }
  done
}

bench_jar() {
  [ -f "$JAR" ] || { echo "bench: $JAR is missing; build first: mvn -B -q -DskipTests package" >&2; exit 1; }
}

bench_workdir() {
  work=$(mktemp -d "/tmp/granary-$1.XXXXXX")
  chmod 755 "$work"  # nginx workers may run as www-data
  pids=()
  pid=
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local p
  for p in "${pids[@]}" $pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if declare -F bench_cleanup_hook >/dev/null; then bench_cleanup_hook || true; fi
  if [ -n "${KEEP:-}" ]; then echo "kept $work"; else chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_http() { # url what [log]
  local _
  for _ in $(seq 1 300); do curl -fsk -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "bench: $2 did not answer $1" >&2
  [ -n "${3:-}" ] && tail -n 20 "$3" >&2
  exit 1
}
