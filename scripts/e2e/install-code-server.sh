#!/usr/bin/env bash
# Installs code-server (the real VS Code 1.100 behind a web UI) for the extension's e2e test into
# a cache OUTSIDE the repo, so CI pays the install once per machine. Idempotent.
#
# Facts this depends on (see issue 8):
# - code-server 4.100.3 is the newest on npm that accepts Node 20;
# - installing as root needs npm_config_unsafe_perm / npm_config_yes;
# - its native modules build against Debian's libkrb5-dev;
# - @vscode/ripgrep 1.15.11 downloads from GitHub unless its cache tarball already exists, so we
#   seed that cache with Debian's ripgrep binary.
set -euo pipefail

VERSION=4.100.3
CACHE_DIR="${FOX_CODE_SERVER_DIR:-$HOME/.cache/fox-code-server}"
BIN="$CACHE_DIR/node_modules/.bin/code-server"

if [ -x "$BIN" ] && [ -f "$CACHE_DIR/.installed-$VERSION" ]; then
  echo "code-server $VERSION already installed in $CACHE_DIR"
  exit 0
fi

need_apt=()
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-code-server.sh: needs root to apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi

# Seed @vscode/ripgrep's download cache with Debian's rg.
tmp="${TMPDIR:-/tmp}"
rg_cache="$tmp/vscode-ripgrep-cache-1.15.11"
rg_tar="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$rg_tar" ]; then
  mkdir -p "$rg_cache"
  stage=$(mktemp -d)
  cp "$(command -v rg)" "$stage/rg"
  tar -C "$stage" -czf "$rg_tar" rg
  rm -rf "$stage"
fi

mkdir -p "$CACHE_DIR"
cd "$CACHE_DIR"
[ -f package.json ] || echo '{"name":"fox-code-server-cache","private":true}' >package.json
export npm_config_unsafe_perm=true npm_config_yes=true
npm install --no-audit --no-fund --no-save --loglevel=error "code-server@$VERSION"
"$BIN" --version
touch "$CACHE_DIR/.installed-$VERSION"
