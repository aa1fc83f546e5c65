#!/usr/bin/env bash
# Runs the cluster topology of docker-compose.yml as local processes, on loopback only:
#   throwaway PostgreSQL + redis-server + two silos (Hotline:Mode=silo) + two fronts (Hotline:Mode=front)
#   + nginx (WebSockets, ip_hash) in front of the fronts.
# TOPOLOGY=combined runs the older shape instead: two combined silos (silo + web each) behind nginx.
# Usage: scripts/run-cluster.sh            (builds the silo first unless NO_BUILD=1)
# Env overrides: TOPOLOGY=split|combined PG_PORT REDIS_PORT HTTP1 HTTP2 FRONT1 FRONT2 SILO1 SILO2 GW1 GW2 LB_PORT
#   CONFIGURATION KEEP_TMP=1
# Ctrl-C stops processes before what they depend on (nginx, fronts, silos, Redis, PostgreSQL) and deletes the
# temporary folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
CONFIGURATION="${CONFIGURATION:-Debug}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
PG_PORT="${PG_PORT:-$(free_port)}"; REDIS_PORT="${REDIS_PORT:-$(free_port)}"
HTTP1="${HTTP1:-$(free_port)}"; HTTP2="${HTTP2:-$(free_port)}"
FRONT1="${FRONT1:-$(free_port)}"; FRONT2="${FRONT2:-$(free_port)}"
TOPOLOGY="${TOPOLOGY:-split}"
[[ "$TOPOLOGY" == split || "$TOPOLOGY" == combined ]] || { echo "TOPOLOGY must be split or combined" >&2; exit 1; }
SILO1="${SILO1:-$(free_port)}"; SILO2="${SILO2:-$(free_port)}"
GW1="${GW1:-$(free_port)}"; GW2="${GW2:-$(free_port)}"
LB_PORT="${LB_PORT:-$(free_port)}"

for bin in "$PG_BIN/initdb" "$PG_BIN/pg_ctl" /usr/bin/redis-server /usr/sbin/nginx; do
  [[ -x "$bin" ]] || { echo "missing $bin" >&2; exit 1; }
done

TMP="$(mktemp -d /tmp/hotline-cluster.XXXXXX)"
chmod 755 "$TMP"
PIDS=()
# Stop in the reverse order of start, each process gone before the next is signalled: nginx, fronts, silos, Redis,
# then PostgreSQL, so nothing is left talking to a dependency that is already gone.
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping..."
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do stop_pid "${PIDS[$i]}"; done
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  if [[ "${KEEP_TMP:-0}" != 1 ]]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap cleanup INT TERM EXIT

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  dotnet build "$ROOT/silo/Hotline.Silo/Hotline.Silo.csproj" -c "$CONFIGURATION" -v q -nologo
fi
DLL="$ROOT/silo/Hotline.Silo/bin/$CONFIGURATION/net10.0/Hotline.Silo.dll"
[[ -f "$DLL" ]] || { echo "missing $DLL (build the silo)" >&2; exit 1; }

echo "== PostgreSQL on 127.0.0.1:$PG_PORT"
mkdir -p "$TMP/pg" && chown postgres "$TMP/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$TMP/pg" -U postgres -A trust --no-sync >"$TMP/initdb.log"
runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $TMP/pg -c fsync=on" start >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres hotline

echo "== Redis on 127.0.0.1:$REDIS_PORT"
# AOF as in docker-compose.yml: a Redis restarted with its data keeps the Orleans membership table (README).
mkdir -p "$TMP/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec --dir "$TMP/redis" --daemonize no >"$TMP/redis.log" 2>&1 &
PIDS+=($!)

KEY="${HOTLINE_JWT_KEY:-run-cluster-shared-signing-key-$(date +%s)-0123456789abcdef}"
start_silo() { # name http siloPort gatewayPort mode
  mkdir -p "$TMP/$1"
  ( cd "$ROOT/silo/Hotline.Silo" && exec env \
      Hotline__Mode="$5" \
      ASPNETCORE_URLS="http://127.0.0.1:$2" \
      ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=hotline" \
      ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT" \
      Orleans__SiloPort="$3" Orleans__GatewayPort="$4" Orleans__ClusterId="local-cluster" \
      Hotline__Jwt__SigningKey="$KEY" Hotline__DataPath="$TMP/$1" \
      dotnet "$DLL" ) >"$TMP/$1.log" 2>&1 &
  PIDS+=($!)
  echo "== $1 ($5) on http://127.0.0.1:$2 (silo $3, gateway $4), log $TMP/$1.log"
}
if [[ "$TOPOLOGY" == split ]]; then
  start_silo silo1 "$HTTP1" "$SILO1" "$GW1" silo
  start_silo silo2 "$HTTP2" "$SILO2" "$GW2" silo
  # Fronts host no silo: their silo/gateway ports are unused.
  start_silo front1 "$FRONT1" 0 0 front
  start_silo front2 "$FRONT2" 0 0 front
  WEB1="$FRONT1"; WEB2="$FRONT2"
else
  start_silo silo1 "$HTTP1" "$SILO1" "$GW1" combined
  start_silo silo2 "$HTTP2" "$SILO2" "$GW2" combined
  WEB1="$HTTP1"; WEB2="$HTTP2"
fi

mkdir -p "$TMP/nginx"
sed -e "s/__UPSTREAMS__/server 127.0.0.1:$WEB1 max_fails=1 fail_timeout=5s; server 127.0.0.1:$WEB2 max_fails=1 fail_timeout=5s;/" \
    -e "s/__LISTEN__/127.0.0.1:$LB_PORT/" -e "s#__TMP__#$TMP/nginx#g" \
    "$ROOT/deploy/nginx.local.conf.template" >"$TMP/nginx/nginx.conf"
/usr/sbin/nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
PIDS+=($!)

wait_ready() {
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "process on $1 did not become ready; see logs in $TMP" >&2; return 1
}
wait_ready "$HTTP1"; wait_ready "$HTTP2"
[[ "$TOPOLOGY" == split ]] && { wait_ready "$FRONT1"; wait_ready "$FRONT2"; }

cat <<INFO

Hotline cluster is up ($TOPOLOGY):
  load balancer  http://127.0.0.1:$LB_PORT/    (ip_hash, WebSockets)
  web 1          http://127.0.0.1:$WEB1/   dashboard /dashboard
  web 2          http://127.0.0.1:$WEB2/
  silos (health) http://127.0.0.1:$HTTP1/health/ready  http://127.0.0.1:$HTTP2/health/ready
  PostgreSQL     Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=hotline
  Redis          127.0.0.1:$REDIS_PORT
  logs           $TMP
Ctrl-C stops everything.
INFO
wait -n "${PIDS[@]}" || true
echo "a process exited; see $TMP" >&2
