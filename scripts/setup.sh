#!/usr/bin/env bash
# One command from a fresh clone to a tuned example: installs the dependencies (Debian packages),
# builds Winnow in build/, installs the Python module for Debian's python3 (under /usr/local, so
# `python3 -c "import winnow"` works in any new shell) and runs the quick-start studies (command
# line and Python) on their default SQLite storage, and the AutoML quick start on a CSV file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh "$@"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DWINNOW_BUILD_TESTS=OFF
cmake --build build -j2
scripts/build-dashboard.sh build/dashboard
rm -f build/quickstart.db build/quickstart.db-wal build/quickstart.db-shm
build/winnow run examples/quickstart/study.toml --jobs 4 --storage build/quickstart.db
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
$sudo cmake --install build --component python
rm -f build/quickstart-python.db build/quickstart-python.db-wal build/quickstart-python.db-shm
rm -rf build/automl.db build/automl.db-wal build/automl.db-shm build/automl.db.automl
root=$(pwd)
(cd /tmp && /usr/bin/python3 "$root/examples/python/quickstart.py" "$root/build/quickstart-python.db")
build/winnow automl fit examples/automl/train.csv --target churned --time-limit 20s \
  --storage build/automl.db --out build/churn.winnow
build/winnow automl predict build/churn.winnow examples/automl/new.csv --out build/churn-predictions.csv
echo
echo "Done. The study is in build/quickstart.db:  build/winnow show build/quickstart.db"
echo "AutoML: build/winnow automl show build/churn.winnow; predictions in build/churn-predictions.csv"
echo "Each trial's output is in examples/quickstart/study-runs/quickstart/<trial>/output.log"
echo "Dashboard: build/winnow dashboard build/quickstart.db  (then open http://127.0.0.1:8080)"
echo "Python: 'import winnow' (or 'import winnow as optuna'); example in examples/python/"
