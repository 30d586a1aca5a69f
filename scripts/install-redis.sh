#!/bin/sh
# Installs Debian's redis-server for the distributed (dfox) and shared-cache tests, which start
# their own server on a free loopback port with a temporary directory. Idempotent: does nothing
# when it is already there. Run as root (CI).
set -eu

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server already installed: $(redis-server --version)"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-redis.sh: run as root (apt-get needs it)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends redis-server
# The package starts a system service on 6379; tests never use it, so stop it when it runs.
(service redis-server stop || true) >/dev/null 2>&1
redis-server --version
