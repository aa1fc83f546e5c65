#!/usr/bin/env bash
# Runs the cluster topology of docker-compose.yml as local processes, on loopback only:
#   throwaway PostgreSQL + redis-server + two silos + nginx (WebSockets, ip_hash) in front.
# Usage: scripts/run-cluster.sh            (builds the silo first unless NO_BUILD=1)
# Env overrides: PG_PORT REDIS_PORT HTTP1 HTTP2 SILO1 SILO2 GW1 GW2 LB_PORT CONFIGURATION KEEP_TMP=1
# Ctrl-C stops everything in order (silos first, then nginx, Redis, PostgreSQL) and deletes the temporary folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
CONFIGURATION="${CONFIGURATION:-Debug}"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
PG_PORT="${PG_PORT:-$(free_port)}"; REDIS_PORT="${REDIS_PORT:-$(free_port)}"
HTTP1="${HTTP1:-$(free_port)}"; HTTP2="${HTTP2:-$(free_port)}"
SILO1="${SILO1:-$(free_port)}"; SILO2="${SILO2:-$(free_port)}"
GW1="${GW1:-$(free_port)}"; GW2="${GW2:-$(free_port)}"
LB_PORT="${LB_PORT:-$(free_port)}"

for bin in "$PG_BIN/initdb" "$PG_BIN/pg_ctl" /usr/bin/redis-server /usr/sbin/nginx; do
  [[ -x "$bin" ]] || { echo "missing $bin" >&2; exit 1; }
done

TMP="$(mktemp -d /tmp/hotline-cluster.XXXXXX)"
chmod 755 "$TMP"
SILO_PIDS=(); NGINX_PID=""; REDIS_PID=""
# Stops in dependency order: the silos first (SIGTERM: they drain hub connections, deactivate grains and leave the
# cluster while Redis and PostgreSQL are still there; each ends within its 20 s budget), then nginx, then Redis and
# PostgreSQL. A silo still running after 30 s is killed.
stop_pids() { # timeout pid...
  local limit=$1; shift
  local pids=()
  for pid in "$@"; do [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); done
  for _ in $(seq 1 $((limit * 10))); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping the silos..."
  stop_pids 30 "${SILO_PIDS[@]}"
  echo "stopping nginx, Redis, PostgreSQL..."
  stop_pids 10 "$NGINX_PID"
  stop_pids 10 "$REDIS_PID"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg" -m fast stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  if [[ "${KEEP_TMP:-0}" != 1 ]]; then rm -rf "$TMP"; else echo "kept $TMP"; fi
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

if [[ "${NO_BUILD:-0}" != 1 ]]; then
  dotnet build "$ROOT/silo/Hotline.Silo/Hotline.Silo.csproj" -c "$CONFIGURATION" -v q -nologo
fi
DLL="$ROOT/silo/Hotline.Silo/bin/$CONFIGURATION/net10.0/Hotline.Silo.dll"
[[ -f "$DLL" ]] || { echo "missing $DLL (build the silo)" >&2; exit 1; }

echo "== PostgreSQL on 127.0.0.1:$PG_PORT"
mkdir -p "$TMP/pg" && chown postgres "$TMP/pg"
runuser -u postgres -- "$PG_BIN/initdb" -D "$TMP/pg" -U postgres -A trust --no-sync >"$TMP/initdb.log"
# setsid everywhere: each server in its own session, so Ctrl-C in the terminal (SIGINT to the whole foreground
# process group) reaches only this script, which then stops them in order.
runuser -u postgres -- setsid "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $TMP/pg -c fsync=on" start >/dev/null
runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres hotline

echo "== Redis on 127.0.0.1:$REDIS_PORT"
setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!

KEY="${HOTLINE_JWT_KEY:-run-cluster-shared-signing-key-$(date +%s)-0123456789abcdef}"
start_silo() { # name http siloPort gatewayPort
  mkdir -p "$TMP/$1"
  ( cd "$ROOT/silo/Hotline.Silo" && exec env \
      ASPNETCORE_URLS="http://127.0.0.1:$2" \
      ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=hotline" \
      ConnectionStrings__Redis="127.0.0.1:$REDIS_PORT" \
      Orleans__SiloPort="$3" Orleans__GatewayPort="$4" Orleans__ClusterId="local-cluster" \
      Hotline__Jwt__SigningKey="$KEY" Hotline__DataPath="$TMP/$1" \
      setsid dotnet "$DLL" ) >"$TMP/$1.log" 2>&1 &
  SILO_PIDS+=($!)
  echo "== $1 on http://127.0.0.1:$2 (silo $3, gateway $4), log $TMP/$1.log"
}
start_silo silo1 "$HTTP1" "$SILO1" "$GW1"
start_silo silo2 "$HTTP2" "$SILO2" "$GW2"

mkdir -p "$TMP/nginx"
sed -e "s/__UPSTREAMS__/server 127.0.0.1:$HTTP1 max_fails=1 fail_timeout=5s; server 127.0.0.1:$HTTP2 max_fails=1 fail_timeout=5s;/" \
    -e "s/__LISTEN__/127.0.0.1:$LB_PORT/" -e "s#__TMP__#$TMP/nginx#g" \
    "$ROOT/deploy/nginx.local.conf.template" >"$TMP/nginx/nginx.conf"
setsid /usr/sbin/nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
NGINX_PID=$!

wait_ready() {
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "silo on $1 did not become ready; see logs in $TMP" >&2; return 1
}
wait_ready "$HTTP1"; wait_ready "$HTTP2"

cat <<INFO

Hotline cluster is up:
  load balancer  http://127.0.0.1:$LB_PORT/    (ip_hash, WebSockets)
  silo1          http://127.0.0.1:$HTTP1/   dashboard /dashboard
  silo2          http://127.0.0.1:$HTTP2/
  PostgreSQL     Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=hotline
  Redis          127.0.0.1:$REDIS_PORT
  logs           $TMP
Ctrl-C stops everything.
INFO
wait -n "${SILO_PIDS[@]}" "$NGINX_PID" "$REDIS_PID" || true
echo "a process exited; see $TMP" >&2
