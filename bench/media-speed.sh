#!/usr/bin/env bash
# Issue 3's media speed benchmark: a 10-minute stereo MP3 through a full ClipLibrary ingest, side by
# side with bare ffmpeg making the same two renditions; prints a Markdown report (docs/BENCHMARKS.md).
#
#   bench/media-speed.sh [--runs N] [--minutes M] [--skip-loudnorm] [--work DIR]
#
# It installs this checkout's config and media jars into the local Maven repository (tests
# skipped), builds bench/media against them and runs it. Run it on an otherwise idle machine:
# the report shows the load average before and after. Extra Maven options go in MVN_ARGS (e.g. -o).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck disable=SC2086
mvn -q ${MVN_ARGS:-} -pl config,media -am install -DskipTests
# shellcheck disable=SC2086
mvn -q ${MVN_ARGS:-} -f bench/media/pom.xml package
exec java -cp "bench/media/target/classes:$(cat bench/media/target/classpath.txt)" \
  org.xiaolaba.bench.MediaSpeed "$@"
