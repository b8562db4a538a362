#!/usr/bin/env bash
# Runs the whole test suite: unit tests and end-to-end tests of the real `winnow` binary, built
# with AddressSanitizer and UndefinedBehaviorSanitizer in build-test/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# Line tables only (-g1): sanitizer reports keep their file:line stacks, and the build takes
# markedly less time and disk than with full debug information. A unity build (sources compiled
# in batches) makes the build from scratch CI does shorter still; WINNOW_UNITY_BUILD=OFF in the
# environment turns it off for quicker rebuilds after editing one file.
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" \
      -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
      -DWINNOW_SANITIZE=ON -DWINNOW_BUILD_BENCH=OFF \
      -DWINNOW_UNITY_BUILD="${WINNOW_UNITY_BUILD:-ON}"
cmake --build build-test -j2
scripts/build-dashboard.sh build-test/dashboard
cd build-test
ctest -j2 --output-on-failure --timeout 600
