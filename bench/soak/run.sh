#!/usr/bin/env bash
# Issue 7's soak harness: one server node under steady load for --minutes (default 30): pushes to
# village, town and county areas, programs created and deleted, clips uploaded (waited until ready)
# and deleted, and resident WebSocket churn with `since` and a check that no push is lost. Every
# 30 s it samples the node (heap after a full GC, open fds, threads, RSS) and at the end prints a
# Markdown report with a verdict (heap and fds flat over the last 10 minutes, no errors).
#
#   bench/soak/run.sh [--minutes 30] [--connections 500] [--jar path/to/xiaolaba-server.jar]
#                     [--push-rate 2] [--node-java-opts "-Xmx1g"] [--report FILE]
#
# The node is `java -jar xiaolaba-server.jar` with its embedded defaults (embedded Redis and ffmpeg),
# its own data directory under bench/soak/target/run, a free port and a fixed admin token. All
# traffic goes to 127.0.0.1; the node (and so its Redis) is stopped at the end, also on Ctrl-C.
#
# Without --jar it builds this checkout first (tests skipped; SKIP_BUILD=1 to use the jar as it is).
# The jar may also be given as SOAK_JAR. Extra Maven options go in MVN_ARGS (e.g. -o); the driver's
# JVM options in JAVA_OPTS.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
jar="${SOAK_JAR:-}"
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = "--jar" ]; then j=$((i + 1)); jar="${!j}"; fi
done
if [ -z "$jar" ] && [ -z "${SKIP_BUILD:-}" ]; then
  # shellcheck disable=SC2086
  mvn -q ${MVN_ARGS:-} -DskipTests package
fi
# shellcheck disable=SC2086
mvn -q ${MVN_ARGS:-} -f bench/soak/pom.xml package
extra=()
if [ -n "${SOAK_JAR:-}" ]; then extra=(--jar "$SOAK_JAR"); fi
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp "bench/soak/target/classes:$(cat bench/soak/target/classpath.txt)" \
  org.xiaolaba.bench.soak.SoakBench "${extra[@]}" "$@"
