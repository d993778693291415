#!/usr/bin/env bash
# Runs deploy/nginx.conf in front of two xiaolaba nodes on one Redis, all on 127.0.0.1, with a
# self-signed certificate made with openssl, and checks through it over TLS: WebSockets (wss://, one
# per node), a push reaching them, an upload, media from either node (deploy/NginxCheck.java); then
# HSTS, plain HTTP redirecting to HTTPS, no query strings in the access log, and the rate limit on
# WebSocket handshakes. Installs Debian's nginx if missing. Stops everything it started.
#   deploy/test-nginx.sh                      # uses server/target/xiaolaba-server.jar
#   XIAOLABA_JAR=/path/to.jar deploy/test-nginx.sh
# Keeps its directory (logs, rendered config) on failure, or always with KEEP=1.
set -euo pipefail
DEPLOY="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$DEPLOY")"
JAR="${XIAOLABA_JAR:-$REPO/server/target/xiaolaba-server.jar}"
START=$SECONDS

fail() { echo "test-nginx: FAILED: $*" >&2; exit 1; }
[ -f "$JAR" ] || fail "no jar at $JAR (mvn -DskipTests package first)"
command -v java >/dev/null || fail "java is not on PATH"
command -v openssl >/dev/null || fail "openssl is not on PATH (the admin token and the TLS certificate)"
TOKEN="$(openssl rand -base64 36)" # a node refuses an admin token under 32 characters

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
  echo "test-nginx: installing Debian's nginx"
  # Keep the package from starting its own nginx on port 80: only our instance runs.
  POLICY=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    POLICY=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod 755 "$POLICY"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
  [ -z "$POLICY" ] || $SUDO rm -f "$POLICY"
  NGINX=/usr/sbin/nginx
fi
echo "test-nginx: $("$NGINX" -v 2>&1)"

WORK="$(mktemp -d /tmp/xiaolaba-nginx-test.XXXXXX)"
chmod 755 "$WORK" # nginx workers run as another user
PIDS=()
cleanup() {
  rc=$?
  set +e
  if [ -f "$WORK/nginx/nginx.pid" ]; then kill -QUIT "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null; fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  # the embedded Redis is stopped by node 1 on SIGTERM; should node 1 have died, stop it here
  if [ -f "$WORK/node1/redis/redis.pid" ]; then kill -TERM "$(cat "$WORK/node1/redis/redis.pid")" 2>/dev/null; fi
  if [ $rc != 0 ]; then
    for f in "$WORK"/node1.log "$WORK"/node2.log "$WORK"/nginx/error.log; do
      [ -f "$f" ] && { echo "---- tail of $f"; tail -n 40 "$f"; }
    done
    echo "test-nginx: FAILED after $((SECONDS - START)) s; kept $WORK" >&2
  elif [ "${KEEP:-0}" = 1 ]; then
    echo "test-nginx: kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "$what not within ${seconds} s"
}
ready() { curl -sf -o /dev/null --max-time 2 "$1/readyz"; }

start_node() { # name, port, extra env...
  local name=$1 port=$2; shift 2
  mkdir -p "$WORK/$name"
  env XIAOLABA_PORT="$port" XIAOLABA_DATA_DIR="$WORK/$name" XIAOLABA_ADMIN_TOKEN="$TOKEN" \
    XIAOLABA_FFMPEG_WORKERS=1 "$@" \
    java -Xmx384m -XX:TieredStopAtLevel=1 -jar "$JAR" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

# 1. two nodes on one Redis: node 1 with the embedded Redis, node 2 on node 1's Redis
P1=$(free_port); P2=$(free_port)
while [ "$P2" = "$P1" ]; do P2=$(free_port); done
NODE1="http://127.0.0.1:$P1"; NODE2="http://127.0.0.1:$P2"
start_node node1 "$P1"
redis_port() { sed -n 's/.*Embedded Redis started on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/node1.log" | head -n 1; }
has_redis() { [ -n "$(redis_port)" ]; }
wait_for 60 "node 1's embedded Redis" has_redis
# the embedded Redis requires the password node 1 made, kept 0600 in its data directory
REDIS_PORT="$(redis_port)"
REDIS_URL="redis://:$(cat "$WORK/node1/redis/password")@127.0.0.1:$REDIS_PORT"
start_node node2 "$P2" XIAOLABA_REDIS_URL="$REDIS_URL"
echo "test-nginx: node 1 on $P1 (embedded Redis on port $REDIS_PORT), node 2 on $P2"

# 2. deploy/nginx.conf rendered for this test: the lines marked "render:" and the node list, with
# a self-signed certificate for 127.0.0.1 made now
mkdir -p "$WORK/nginx/logs"
HTTP_PORT=$(free_port)
while [ "$HTTP_PORT" = "$P1" ] || [ "$HTTP_PORT" = "$P2" ]; do HTTP_PORT=$(free_port); done
PROXY_PORT=$(free_port)
while [ "$PROXY_PORT" = "$P1" ] || [ "$PROXY_PORT" = "$P2" ] || [ "$PROXY_PORT" = "$HTTP_PORT" ]; do
  PROXY_PORT=$(free_port)
done
CERT="$WORK/nginx/test.crt"; KEY="$WORK/nginx/test.key"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$KEY" -out "$CERT" 2>/dev/null \
  || fail "openssl could not make a test certificate"
# java.net.http (NginxCheck) trusts it through a trust store of its own
TRUST="$WORK/nginx/trust.p12"
keytool -importcert -noprompt -alias xiaolaba-test -file "$CERT" -keystore "$TRUST" \
  -storetype PKCS12 -storepass changeit >/dev/null 2>&1 || fail "keytool could not import the test certificate"
CONF="$WORK/nginx/nginx.conf"
awk -v dir="$WORK/nginx" -v http="$HTTP_PORT" -v port="$PROXY_PORT" -v p1="$P1" -v p2="$P2" \
    -v cert="$CERT" -v key="$KEY" '
  /^user .*# render:/      { n["user"]++; next }
  /^pid .*# render:/       { print "pid " dir "/nginx.pid;"; n["pid"]++; next }
  /^error_log .*# render:/ { print "error_log " dir "/error.log info;"; n["error_log"]++; next }
  /access_log .*# render:/ { # the path only: the log format named on the line stays
                             if (!sub(/\/var\/log\/nginx\/[^ ;]*/, dir "/access.log")) next
                             print
                             # temporary files under the test directory, not /var/lib/nginx
                             print "    client_body_temp_path " dir "/client_body;";
                             print "    proxy_temp_path " dir "/proxy;";
                             print "    fastcgi_temp_path " dir "/fastcgi;";
                             print "    uwsgi_temp_path " dir "/uwsgi;";
                             print "    scgi_temp_path " dir "/scgi;";
                             n["access_log"]++; next }
  /listen 80;.*# render:/  { print "        listen 127.0.0.1:" http ";"; n["listen_http"]++; next }
  /listen 443 ssl.*# render:/ { sub(/listen 443/, "listen 127.0.0.1:" port); sub(/#.*/, "");
                             print; n["listen_https"]++; next }
  /ssl_certificate .*# render:/     { print "        ssl_certificate " cert ";"; n["cert"]++; next }
  /ssl_certificate_key .*# render:/ { print "        ssl_certificate_key " key ";"; n["key"]++; next }
  /return 30[178] https:\/\/\$host\$request_uri;.*# render:/ {
                             if (!sub(/\$host\$request_uri/, "$host:" port "$request_uri")) next
                             sub(/#.*/, ""); print; n["redirect"]++; next }
  /# BEGIN nodes/          { print; print "        server 127.0.0.1:" p1 " max_fails=3 fail_timeout=10s;";
                             print "        server 127.0.0.1:" p2 " max_fails=3 fail_timeout=10s;";
                             skip = 1; n["nodes"]++; next }
  /# END nodes/            { skip = 0 }
  !skip                    { print }
  END { for (k in want) if (n[k] != 1) { print "render: \"" k "\" found " n[k] + 0 " times" > "/dev/stderr"; bad = 1 }
        exit bad }
  BEGIN { split("user pid error_log access_log listen_http listen_https cert key redirect nodes", w, " ")
          for (i in w) want[w[i]] = 1 }
' "$DEPLOY/nginx.conf" >"$CONF" || fail "deploy/nginx.conf no longer has the lines this script rewrites"
if grep -n '10\.0\.0\.\|/var/log/nginx\|/run/nginx\|/etc/nginx/tls' "$CONF"; then fail "rendering left production values"; fi
# the access log's format names the path, never the query string
grep -q 'access_log .* xiaolaba;' "$CONF" || fail "the access log does not use the xiaolaba log format"
if sed -n "/log_format xiaolaba/,/;/p" "$CONF" | grep -n '\$request_uri\|\$request\b\|\$args\|\$query_string\|\$arg_\|\$http_referer'; then
  fail "log_format xiaolaba logs query strings"
fi
"$NGINX" -t -q -p "$WORK/nginx/" -c "$CONF" || fail "nginx -t refused the rendered deploy/nginx.conf ($CONF)"

# the systemd unit too, where systemd is at hand (java's path as on this machine)
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/bin/java|$(command -v java)|" "$DEPLOY/xiaolaba.service" >"$WORK/xiaolaba.service"
  out=$(systemd-analyze verify "$WORK/xiaolaba.service" 2>&1 | grep -v -e 'User=xiaolaba' -e "Group=xiaolaba" || true)
  [ -z "$out" ] || fail "systemd-analyze verify deploy/xiaolaba.service: $out"
  echo "test-nginx: systemd-analyze verify deploy/xiaolaba.service: ok"
fi

wait_for 60 "node 1 ready ($NODE1/readyz)" ready "$NODE1"
wait_for 60 "node 2 ready ($NODE2/readyz)" ready "$NODE2"
"$NGINX" -p "$WORK/nginx/" -c "$CONF" -g 'daemon off;' &
PIDS+=($!)
PROXY="https://127.0.0.1:$PROXY_PORT"
PLAIN="http://127.0.0.1:$HTTP_PORT"
ready_tls() { curl -sf -o /dev/null --max-time 2 --cacert "$CERT" "$1/readyz"; }
wait_for 15 "nginx on $PROXY" ready_tls "$PROXY"
echo "test-nginx: nginx on $PROXY (and $PLAIN) in front of both nodes ($((SECONDS - START)) s)"

# 3. TLS: HSTS on every answer over HTTPS, plain HTTP only redirecting there (method kept)
headers=$(curl -s -D - -o /dev/null --cacert "$CERT" "$PROXY/api/v1/areas")
echo "$headers" | grep -qi '^strict-transport-security: max-age=[1-9]' || fail "no HSTS header over HTTPS: $headers"
missing=$(curl -s -D - -o /dev/null --cacert "$CERT" "$PROXY/no/such/page")
echo "$missing" | grep -qi '^strict-transport-security:' || fail "no HSTS header on a 404: $missing"
for path in /api/v1/areas "/ws?x=1"; do
  out=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$PLAIN$path")
  [ "$out" = "308 $PROXY$path" ] || fail "http://…$path answered '$out', expected 308 to $PROXY$path"
done
out=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$PLAIN/api/v1/pushes")
[ "$out" = 308 ] || fail "a POST over plain HTTP answered $out, expected 308"
echo "test-nginx: HTTPS with HSTS; plain HTTP redirects (308) to it"

# 4. through nginx, over TLS: WebSockets (wss://), a push, an upload, media
java -Djavax.net.ssl.trustStore="$TRUST" -Djavax.net.ssl.trustStorePassword=changeit \
  "$DEPLOY/NginxCheck.java" "$PROXY" "$NODE1" "$NODE2" "$TOKEN" || fail "NginxCheck"
grep -q 'GET /ws' "$WORK/nginx/access.log" || fail "nginx logged no /ws request"

# 5. the access log has paths, never query strings (tokens put in a URL stay off the disk)
MARK="qs-secret-$RANDOM$RANDOM"
curl -s -o /dev/null --cacert "$CERT" "$PROXY/api/v1/areas?token=$MARK"
curl -s -o /dev/null --cacert "$CERT" "$PROXY/ws?token=$MARK"
curl -s -o /dev/null --cacert "$CERT" -H "Referer: https://example.org/?token=$MARK" "$PROXY/readyz"
curl -s -o /dev/null "$PLAIN/ws?token=$MARK"
grep -q 'GET /api/v1/areas ' "$WORK/nginx/access.log" || fail "nginx logged no /api/v1/areas request"
if grep -n "$MARK\|?token=" "$WORK/nginx/access.log"; then fail "a query string reached the access log"; fi
echo "test-nginx: the access log holds no query strings"

# 6. WebSocket handshakes are rate limited per client (limit_req, burst 100): 300 in a row from
# one address, on one connection, and the last ones get 429
codes=$(curl -s --cacert "$CERT" -w '%{http_code}\n' $(for _ in $(seq 1 300); do echo "-o /dev/null $PROXY/ws"; done))
limited=$(echo "$codes" | grep -c '^429$' || true)
[ "$limited" -gt 0 ] || fail "300 handshakes in a row were not rate limited: $(echo "$codes" | sort | uniq -c | tr '\n' ' ')"
api=$(curl -s --cacert "$CERT" -o /dev/null -w '%{http_code}' "$PROXY/api/v1/areas")
[ "$api" = 200 ] || fail "the API answered $api after the handshake limit, expected 200 (a zone of its own)"
echo "test-nginx: WebSocket handshakes rate limited ($limited of 300 got 429), the API not"
echo "test-nginx: passed in $((SECONDS - START)) s"
