#!/usr/bin/env bash
# Builds the dashboard's front end (web/) into OUTDIR, the folder `winnow dashboard` serves.
#   scripts/build-dashboard.sh build/dashboard
# Installs web/'s npm packages from its lock file first, unless node_modules already holds
# exactly that lock file's packages: a second build needs no network. Needs Node.js >= 18 and npm.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
# Relative to the caller's directory, before this script changes its own.
outdir=$(realpath -m -- "$1")
web=$(cd "$(dirname "$0")/../web" && pwd)

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-dashboard.sh: '$tool' not found; building the dashboard needs Node.js (>= 18) and npm" >&2
    echo "  (Debian: sudo apt-get install nodejs npm)" >&2
    exit 1
  fi
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 18 )); then
  echo "build-dashboard.sh: Node.js $(node --version) is too old; the dashboard's build (Vite 5) needs >= 18" >&2
  exit 1
fi

# The build empties OUTDIR: refuse a folder that is not empty and is not a dashboard build, so a
# mistyped argument cannot wipe something else.
if [[ -d "$outdir" && -n "$(ls -A "$outdir")" && ! -f "$outdir/index.html" ]]; then
  echo "build-dashboard.sh: $outdir is not empty and holds no earlier dashboard build; refusing to empty it" >&2
  exit 1
fi

# npm ci starts by deleting node_modules, so the stamp lives and dies with the install it describes.
stamp="$web/node_modules/.winnow-lock-sha256"
lock_hash=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
  echo "build-dashboard.sh: installing the front end's packages (npm ci)"
  (cd "$web" && npm ci --no-audit --no-fund)
  echo "$lock_hash" >"$stamp"
fi

(cd "$web" && npx --no-install vite build --base / --outDir "$outdir" --emptyOutDir)
echo "build-dashboard.sh: dashboard built in $outdir"
