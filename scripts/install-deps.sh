#!/usr/bin/env bash
# Installs Winnow's build, test and benchmark dependencies from Debian's packages; installs only
# what is missing, so a second run needs no network. python3-optuna is there for the tests that
# check the Python module behaves as Optuna does, and for the side-by-side benchmarks. PostgreSQL 15
# and libpq back the storage that distributed workers share, and the tests run their own server
# (tests/postgres/server.sh); openmpi-bin gives the tests mpirun, to check the MPI launch recipe.
# --bench adds what bench/ needs: R and three r-cran packages whose datasets bench/automl exports,
# the AutoML baselines (scikit-learn, XGBoost), GNU time for peak memory, psycopg2 for Optuna's
# RDB storage on PostgreSQL in the distributed benchmark, and for the algorithm-configuration
# comparison (bench/configuration) the SAT solvers minisat and CaDiCaL and irace.
# Usage: scripts/install-deps.sh [--bench]
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config git
          libsqlite3-dev sqlite3 nlohmann-json3-dev libtomlplusplus-dev libyaml-cpp-dev libcli11-dev
          libgtest-dev libgmock-dev libbenchmark-dev libeigen3-dev libnlopt-dev libxgboost-dev liblinear-dev libsvm-dev
          libboost-dev
          python3 python3-dev pybind11-dev python3-pytest python3-pandas python3-optuna procps
          postgresql-15 libpq-dev openmpi-bin libcpp-httplib-dev librsvg2-dev chromium)
# The dashboard's front end is built with npm (web/); Debian's Node.js unless one is installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(hyperfine jq time python3-sklearn python3-xgboost
             r-base-core r-cran-mlbench r-cran-modeldata r-cran-ggplot2 python3-psycopg2
             minisat cadical r-cran-irace)
fi
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
