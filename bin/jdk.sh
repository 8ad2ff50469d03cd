# Sourced by bin/granary and bin/test: makes JAVA_HOME point at a JDK 21 or newer.
# Order: $JAVA_HOME if it is 21+, the `java` on PATH if it is 21+, else the newest JDK under /usr/lib/jvm.

java_major() { # JAVA_BIN -> major version number, or 0
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}' || echo 0
}

pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 21 ]; then
    return 0
  fi
  if command -v java >/dev/null 2>&1 && [ "$(java_major "$(command -v java)")" -ge 21 ]; then
    JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    export JAVA_HOME
    return 0
  fi
  local best="" best_major=0 m
  for d in /usr/lib/jvm/*/; do
    [ -x "$d/bin/javac" ] || continue
    m=$(java_major "$d/bin/java")
    if [ "${m:-0}" -gt "$best_major" ]; then best="${d%/}"; best_major=$m; fi
  done
  if [ "$best_major" -ge 21 ]; then
    export JAVA_HOME="$best"
    return 0
  fi
  echo "granary: needs a JDK 21 or newer (set JAVA_HOME); found none" >&2
  return 1
}

pick_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
# Maven's bundled guava warns about sun.misc.Unsafe on JDK 24+; the flag exists only there.
if [ "$(java_major "$JAVA_HOME/bin/java")" -ge 24 ]; then
  case " ${MAVEN_OPTS:-} " in *sun-misc-unsafe*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
fi
