#!/usr/bin/env bash
# Serialises builds on this machine (two cores: two builds at once only slow each other).
# Usage: scripts/build.sh BUILD_DIR [cmake --build args...]
set -euo pipefail
dir=$1; shift
exec flock /tmp/winnow-build.lock cmake --build "$dir" -j2 "$@"
