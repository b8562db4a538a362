#!/usr/bin/env bash
# One command from a fresh clone to a tuned example: installs the dependencies (Debian packages),
# builds Winnow in build/ and runs the quick-start study on its default SQLite storage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWINNOW_BUILD_TESTS=OFF
cmake --build build -j2
rm -f build/quickstart.db build/quickstart.db-wal build/quickstart.db-shm
build/winnow run examples/quickstart/study.toml --jobs 4 --storage build/quickstart.db
echo
echo "Done. The study is in build/quickstart.db:  build/winnow show build/quickstart.db"
echo "Each trial's output is in examples/quickstart/study-runs/quickstart/<trial>/output.log"
