#!/usr/bin/env bash
# Installs the Debian packages graphcerts needs to build, run and test, when any is missing.
# Usage: scripts/deps.sh [build|test|bench|fuzz|valgrind]   (bench, fuzz and valgrind each include
# test, which includes build)
set -euo pipefail
level=${1:-build}
pkgs=(cmake make gcc pkg-config libjansson-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev libpq-dev)
case "$level" in
  # postgresql: the end-to-end suite runs a second time on a throwaway PostgreSQL server
  test|bench|fuzz|valgrind) pkgs+=(libcmocka-dev python3 openssl nodejs npm chromium postgresql) ;;
esac
case "$level" in
  bench) pkgs+=(wrk nginx-light) ;;
  fuzz) pkgs+=(clang) ;;
  valgrind) pkgs+=(valgrind) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3, node and npm may come from elsewhere (pyenv, a NodeSource install); only ask apt
# for them when none is on PATH.
for tool in python3 nodejs:node npm; do
  pkg=${tool%%:*} cmd=${tool##*:}
  if command -v "$cmd" >/dev/null 2>&1; then
    missing=("${missing[@]/#$pkg}")
  fi
done
read -r -a missing <<<"${missing[*]:-}"
[ ${#missing[@]} -eq 0 ] && exit 0
echo "graphcerts: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || $sudo apt-get update
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
