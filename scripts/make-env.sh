#!/usr/bin/env bash
# Writes .env for docker compose with a fresh random value for every secret docker-compose.yml requires (it has no
# fallbacks and refuses to start while one is missing). The file is 0600; an existing .env is never overwritten.
#   Usage: scripts/make-env.sh [path]   (default: .env beside docker-compose.yml)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-.env}"
if [[ -e "$OUT" ]]; then
  echo "$OUT exists; not overwriting it (delete it first to make new secrets)" >&2
  exit 1
fi
rand() { openssl rand -base64 "$1" | tr -d '\n/+=' ; }
umask 077
{
  echo "# docker compose secrets, made by scripts/make-env.sh on $(date -u +%Y-%m-%dT%H:%MZ). Keep this file private."
  echo "HOTLINE_JWT_KEY=$(rand 48)"
  echo "HOTLINE_ADMIN_PASSWORD=$(rand 18)"
  echo "HOTLINE_GATEWAY_KEY=$(rand 32)"
  echo "HOTLINE_PG_PASSWORD=$(rand 24)"
  echo "HOTLINE_REDIS_PASSWORD=$(rand 24)"
  echo "HOTLINE_SCRAPE_KEY=$(rand 32)"
  echo "GRAFANA_ADMIN_PASSWORD=$(rand 18)"
} > "$OUT"
chmod 600 "$OUT"
echo "wrote $OUT (0600); the admin password is HOTLINE_ADMIN_PASSWORD in it"
