#!/usr/bin/env bash
# Issue 5's push hub load harness: (1) N idle resident connections: heap and RSS per connection,
# with a live-object histogram; (2) one broadcast to the county and to a town: latency from the
# POST to each resident's receipt; (3) sustained fan-out: delivered messages a second, and per
# server core used; (4) reconnect storm: 20,000 residents drop, pushes go on, all reconnect at once
# with `since`: time until all are recovered, nothing lost or duplicated. Prints a Markdown report;
# see docs/BENCHMARKS.md.
#
#   bench/push/run.sh --smoke                      # 1,000 connections, under a minute
#   bench/push/run.sh [--connections 100000] [--per-process 17000] [--nodes K] [--workers W]
#                     [--scenarios idle,broadcast,sustained,storm] [--broadcasts 5] [--warmups 20]
#                     [--rate 2] [--duration 20] [--storm 20000] [--away 10] [--storm-rate 2]
#                     [--fsync always|everysec|no] [--node-java-opts "-Xmx2g -XX:+UseParallelGC"]
#                     [--client-threads 1] [--report FILE]
#
# One process cannot hold more sockets than `ulimit -n` allows, so the harness starts one
# redis-server (the binary the server embeds) and several server nodes on it (each
# `java -jar server/target/xiaolaba-server.jar` with its own port and data directory), and
# several client processes (Netty WebSocket clients, each socket bound to its own loopback source
# address 127.0.0.2, 127.0.0.3, ... so that ephemeral ports do not run out), at most --per-process
# connections each. Everything talks over 127.0.0.0/8 only and everything it starts is stopped at
# the end; working files and logs go to bench/push/target/run.
#
# It builds the server jar from this checkout first (tests skipped; set SKIP_BUILD=1 to use the
# jar as it is, or pass --jar). Extra Maven options go in MVN_ARGS (e.g. -o); the driver's JVM
# options in JAVA_OPTS. Run it on an otherwise idle machine: the report shows the load average.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [ -z "${SKIP_BUILD:-}" ]; then
  # shellcheck disable=SC2086
  mvn -q ${MVN_ARGS:-} -DskipTests package
fi
# shellcheck disable=SC2086
mvn -q ${MVN_ARGS:-} -f bench/push/pom.xml package
echo "open files per process: soft $(ulimit -Sn), hard $(ulimit -Hn)" >&2
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp "bench/push/target/classes:$(cat bench/push/target/classpath.txt)" \
  org.xiaolaba.bench.push.PushBench "$@"
