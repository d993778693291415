#!/usr/bin/env bash
# Issue 4's scheduler benchmarks: (a) a fresh node's start with 100,000 programs in Redis (target
# <= 5 s); (b) scheduled instant -> dispatch latency from the as-run log on 1 and 2 nodes (target
# p99 <= 50 ms). Prints a Markdown report; see docs/BENCHMARKS.md.
#
#   bench/scheduler/run.sh [--programs N] [--starts K] [--runs R] [--windows 20,2] [--nodes 1,2]
#                          [--fsync always|everysec|no] [--only startup|latency]
#
# It installs this checkout's config, media and scheduler jars into the local Maven repository
# (tests skipped), builds this benchmark against them and runs it on a real embedded redis-server
# in a temporary directory. Run it on an otherwise idle machine: the report shows the load average
# before and after. Extra Maven options go in MVN_ARGS (e.g. -o); JVM options in JAVA_OPTS.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# shellcheck disable=SC2086
mvn -q ${MVN_ARGS:-} -pl config,media,scheduler -am install -DskipTests
# shellcheck disable=SC2086
mvn -q ${MVN_ARGS:-} -f bench/scheduler/pom.xml package
# shellcheck disable=SC2086
exec java ${JAVA_OPTS:-} -cp "bench/scheduler/target/classes:$(cat bench/scheduler/target/classpath.txt)" \
  org.xiaolaba.scheduler.SchedulerBench "$@"
