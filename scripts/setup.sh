#!/usr/bin/env bash
# One-command set-up on a fresh Debian or Ubuntu machine with Node.js and npm installed:
# installs the system tools the tests use when they are missing, then the npm dependencies
# (which bring Node 24 for every npm script, whatever the system Node is).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

command -v node >/dev/null || { say "Node.js is missing: install it first (apt-get install nodejs npm)"; exit 1; }
command -v npm >/dev/null || { say "npm is missing: install it first (apt-get install npm)"; exit 1; }

# command → Debian package, for every tool a test runs.
# kubectl: the machine image may bring a newer one; Debian's kubernetes-client is the fallback.
declare -A needed=(
  [git]=git
  [kubectl]=kubernetes-client
)
missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${needed[$cmd]}")
done

if ((${#missing[@]} > 0)); then
  say "installing Debian packages: ${missing[*]}"
  if ! command -v apt-get >/dev/null; then
    say "apt-get is not available: install ${missing[*]} with your package manager, then run this again"
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "not root and no sudo: run as root, or install ${missing[*]} yourself"; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "system tools present: ${!needed[*]}"
fi

say "npm ci (EBADENGINE warnings are expected: npm runs on the system Node, the npm scripts on Node 24)"
npm ci --no-audit --no-fund

version=$(npm exec --offline -- node --version)
case "$version" in
  v24.*) say "npm scripts run on Node $version" ;;
  *) say "expected Node 24 from the node devDependency, got $version"; exit 1 ;;
esac
say "done: run 'npm test', 'npm start' (the demo), or 'npx lambdastack-autoscaler --help'"
