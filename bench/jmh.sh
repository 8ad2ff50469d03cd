#!/usr/bin/env bash
# JMH micro-benchmarks (proxy-bench): zip hashing and checks, request parsing, semver, hot tier vs disk,
# tlog inclusion proofs, signed notes. Builds the benchmarks jar (-Pbench, outside mvn verify) and runs it
# with bounded defaults sized for a 2-core machine: one fork, 3 x 2 s warmup (C2 needs about that on 2 cores),
# 3 x 3 s measurement per benchmark (about 4 minutes for all of them).
#
#   bash bench/jmh.sh                      all benchmarks, default settings
#   bash bench/jmh.sh Semver -i 5          a regex of benchmarks and/or any JMH option (overrides the default)
#   bash bench/jmh.sh -h                   JMH's own options (-l lists the benchmarks)
#   SKIP_BUILD=1 bash bench/jmh.sh ...     reuse proxy-bench/target/benchmarks.jar
#   MVN_FLAGS=-o bash bench/jmh.sh         extra Maven flags (here: offline)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${JAVA_HOME:-}" ] && [ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/}java}
JAR=proxy-bench/target/benchmarks.jar

if [ -z "${SKIP_BUILD:-}" ]; then
  # shellcheck disable=SC2086 # MVN_FLAGS is a list of flags
  MAVEN_OPTS=${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow} mvn -B -q -Pbench -DskipTests ${MVN_FLAGS:-} package
fi
[ -f "$JAR" ] || { echo "jmh: $JAR is missing (build with: mvn -B -q -Pbench -DskipTests package)" >&2; exit 1; }

# JMH refuses an option given twice, so a default is dropped when the caller passes the same option.
declare -A defaults=([-f]=1 [-wi]=3 [-w]=2s [-i]=3 [-r]=3s)
for arg in "$@"; do
  unset "defaults[$arg]" 2>/dev/null || true
done
opts=()
for k in -f -wi -w -i -r; do
  [ -n "${defaults[$k]+set}" ] && opts+=("$k" "${defaults[$k]}")
done

# JMH 1.37 calls sun.misc.Unsafe; JDK 23+ warn about it in every fork (forks inherit the host's JVM flags).
jvm=()
if "$JAVA" --sun-misc-unsafe-memory-access=allow -version >/dev/null 2>&1; then
  jvm+=(--sun-misc-unsafe-memory-access=allow)
fi

exec "$JAVA" "${jvm[@]}" -jar "$JAR" "${opts[@]}" "$@"
