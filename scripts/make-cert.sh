#!/usr/bin/env bash
# Makes a self-signed TLS certificate for local use of docker compose: deploy/certs/hotline.crt and hotline.key
# (key 0600). Browsers will warn about it; for a real deployment put a CA-issued certificate and key under the same
# names (see README, "TLS").   Usage: scripts/make-cert.sh [host-name]   (default: localhost)
set -euo pipefail
cd "$(dirname "$0")/.."
NAME="${1:-localhost}"
mkdir -p deploy/certs
chmod 700 deploy/certs
umask 077
openssl req -x509 -newkey rsa:3072 -sha256 -days 365 -nodes \
  -keyout deploy/certs/hotline.key -out deploy/certs/hotline.crt \
  -subj "/CN=${NAME}" -addext "subjectAltName=DNS:${NAME},DNS:localhost,IP:127.0.0.1" 2>/dev/null
chmod 600 deploy/certs/hotline.key
chmod 644 deploy/certs/hotline.crt
echo "wrote deploy/certs/hotline.crt and deploy/certs/hotline.key (self-signed for ${NAME}, 365 days)"
