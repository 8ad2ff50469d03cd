#!/usr/bin/env bash
# End-to-end figures that the test suite does not print (tests assert, these measure), from the
# programs in proxy-bench (dev.granary.bench.figures), with the real parts the tests use: s3proxy,
# the test checksum database (built with Debian's Go), Go's test modules, all on loopback.
#
#   verification  a cold fetch of 3 versions, unverified vs verified against a checksum database
#                 (median of 7 rounds), and the database requests a verified fetch makes
#   s3-tier       12 MB zip cold/warm over disk and S3; 300 MB zip through a -Xmx128m replica (time,
#                 heap peak); how long a replica waits for a dead replica's lease (TTL 3 s)
#   s3-heap       300 MB through S3BlobStore and back in a -Xmx128m JVM: time and heap high-water mark
#
#   bash bench/figures.sh                  all of them (a few minutes on 2 cores)
#   bash bench/figures.sh verification 15  one of them, with its argument (here: rounds)
#   SKIP_BUILD=1 bash bench/figures.sh     reuse proxy-bench/target/benchmarks.jar
#   MVN_FLAGS=-o bash bench/figures.sh     extra Maven flags (here: offline)
set -euo pipefail
cd "$(dirname "$0")/.."
. bin/jdk.sh

JAR=proxy-bench/target/benchmarks.jar
if [ -z "${SKIP_BUILD:-}" ]; then
  # shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
  MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow} mvn -B -q -Pbench -DskipTests ${MVN_FLAGS:-} package
fi
[ -f "$JAR" ] || { echo "figures: $JAR is missing (build with: mvn -B -q -Pbench -DskipTests package)" >&2; exit 1; }

declare -A programs=([verification]=VerificationCostFigures [s3-tier]=S3TierFigures [s3-heap]=S3HeapFigures)
run() { # name [args...]
  local name=$1
  shift
  [ -n "${programs[$name]+set}" ] || { echo "figures: unknown '$name' (verification, s3-tier, s3-heap)" >&2; exit 2; }
  echo "== $name"
  # Work files (s3proxy data, testsumdb, Granary storage) go under proxy-bench/target and are deleted after.
  "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Dgranary.test.builddir=proxy-bench/target \
    -cp "$JAR" "dev.granary.bench.figures.${programs[$name]}" "$@"
}

if [ $# -eq 0 ]; then
  for name in verification s3-tier s3-heap; do
    run "$name"
  done
else
  run "$@"
fi
