#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Compares Winnow's algorithm configuration (sampler "race") with irace 3.5 on three scenarios,
# each a study file here that both tools read:
#   sat-runtime    minisat's run time, cutoff 2 s, PAR10 (both tools with adaptive capping)
#   sat-conflicts  minisat's conflicts (minisat_conflicts.sh), a cost the machine's load cannot move
#   de             differential evolution (de_solver.cc) on shifted/rotated test functions
# For every scenario and seed 1..N: irace (run_irace.py) and Winnow (run_winnow.py) tune with the
# same budget of target runs, and their final configurations run once on every test instance
# with fixed seeds (evaluate_config.py); the defaults are evaluated the same way, once. Both race
# with their default test: irace's is Friedman's on ranks (its t-test when it caps), Winnow's
# paired t-tests on a value cost and Friedman's test on a runtime cost; irace-ttest and
# winnow-ttest race with paired t-tests, which target the mean cost both are judged by. Each run appends one JSON line to the results file through
# bench/record_results.sh; summarize.py turns them into tables. Runs are one at a time (irace
# with parallel = 1, Winnow with one job).
#
#   bench/configuration/compare_irace.sh                          # all scenarios, seeds 1..5
#   bench/configuration/compare_irace.sh --scenarios sat-conflicts,de --tools irace,irace-ttest \
#       --no-record
#   bench/configuration/compare_irace.sh --reuse-irace            # record irace runs made earlier
#   bench/configuration/compare_irace.sh --capping                # Winnow sat-runtime, capping off
#   bench/configuration/compare_irace.sh --capping --tools winnow-rf   # the same under intensification
#   /usr/bin/python3 bench/configuration/summarize.py bench/results/configuration.jsonl
#
# Options: --scenarios LIST (default sat-runtime,sat-conflicts,de), --seeds N (default 5),
# --first-seed K (default 1: seeds K..N, to add seeds to an earlier comparison),
# --tools LIST of default,irace,irace-ttest,winnow,winnow-ttest,winnow-rf (default
# default,irace,winnow; winnow-rf is sampler rf under intensification, SMAC's way),
# --budget N (default: each study file's trials: 500, 500, 1000), --capping (only Winnow's tools
# among --tools, default winnow, on sat-runtime with `capping = false`; the capping = true runs
# are the main comparison's),
# --reuse-irace (print an irace run already in WORK/irace-SCENARIO.jsonl with the same tool,
# seed, budget and instances instead of running it again), --work DIR (default /tmp/ac-bench:
# instances, study copies, tool folders), --instance-seed N (default 1), --winnow PATH (default
# build/winnow), --results FILE (default bench/results/configuration.jsonl), --no-record (print
# the lines, record nothing).
#
# Builds nothing in build/: de_solver is build/bench/de_solver when that exists (bench/CMakeLists
# target de_solver), else bench/configuration/build-local/de_solver, compiled here with g++.
# A runtime comparison needs a quiet machine: the load average is printed before and after.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/bench/configuration
python=/usr/bin/python3
scenarios=sat-runtime,sat-conflicts,de
seeds=5
first_seed=1
tools=default,irace,winnow
budget=
capping=0
reuse=
work=/tmp/ac-bench
instance_seed=1
winnow=$root/build/winnow
results=$root/bench/results/configuration.jsonl
record=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --scenarios) scenarios=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --first-seed) first_seed=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --capping) capping=1; shift ;;
    --reuse-irace) reuse=--reuse; shift ;;
    --work) work=$2; shift 2 ;;
    --instance-seed) instance_seed=$2; shift 2 ;;
    --winnow) winnow=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --no-record) record=0; shift ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "compare_irace.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $work = /* ]] || work=$PWD/$work
[[ $winnow = /* ]] || winnow=$PWD/$winnow
[[ $results = /* ]] || results=$PWD/$results
if ((capping)); then
  scenarios=sat-runtime
  winnow_tools=$(tr , '\n' <<< "$tools" | grep '^winnow' | paste -sd, || true)
  tools=${winnow_tools:-winnow}
fi

for program in minisat Rscript jq; do
  command -v $program >/dev/null || {
    echo "compare_irace.sh: $program not found (scripts/install-deps.sh --bench)" >&2; exit 1; }
done
if [[ ,$tools, == *,irace* && ! -x /usr/lib/R/site-library/irace/bin/irace ]]; then
  echo "compare_irace.sh: irace not found (apt-get install r-cran-irace)" >&2
  exit 1
fi
if [[ ,$tools, == *,winnow* && ! -x $winnow ]]; then
  echo "compare_irace.sh: $winnow not found; build it (scripts/build.sh build) or pass --winnow" >&2
  exit 1
fi

# de_solver: the CMake-built one if there is one, else a hand-built copy.
de_solver=$root/build/bench/de_solver
if [[ ! -x $de_solver ]]; then
  de_solver=$here/build-local/de_solver
  if [[ ! -x $de_solver || $here/de_solver.cc -nt $de_solver ]]; then
    mkdir -p "$here/build-local"
    g++ -std=c++20 -O2 -Wall -Wextra -o "$de_solver" "$here/de_solver.cc"
  fi
fi

# The work folder: instances (once per instance seed and version of make_instances.py), the
# study files beside them, and the programs their commands name.
mkdir -p "$work"
manifest=$work/instances/manifest.json
generator=$(sha256sum "$here/make_instances.py" | cut -d' ' -f1)
if [[ ! -f $manifest ]] || [[ $(jq .seed "$manifest") != "$instance_seed" ]] ||
   [[ $(jq -r .generator "$manifest") != "$generator" ]]; then
  $python "$here/make_instances.py" --seed "$instance_seed" "$work/instances" >&2
fi
for scenario in sat-runtime sat-conflicts de; do cp "$here/$scenario.toml" "$work/"; done
ln -sf "$here/minisat_conflicts.sh" "$work/minisat_conflicts.sh"
ln -sf "$de_solver" "$work/de_solver"

budget_of() {
  if [[ -n $budget ]]; then
    echo "$budget"
  else
    $python -c 'import sys, tomllib
print(tomllib.load(open(sys.argv[1], "rb"))["study"]["trials"])' "$work/$1.toml"
  fi
}

# Runs a command that prints JSON lines, through record_results.sh unless --no-record.
emit() {
  if ((record)); then
    "$root/bench/record_results.sh" "$results" -- "$@"
  else
    (cd "$root" && "$@")
  fi
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) cores, $cpu, kernel $(uname -r)" >&2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); work: $work" >&2
failures=0
for scenario in ${scenarios//,/ }; do
  b=$(budget_of "$scenario")
  if [[ ,$tools, == *,default,* ]]; then
    echo "== $scenario: the defaults on the test instances" >&2
    emit $python bench/configuration/evaluate_config.py "$work/$scenario.toml" --default \
      --as-row "$scenario" || failures=$((failures + 1))
  fi
  for ((seed = first_seed; seed <= seeds; seed++)); do
    for tool in ${tools//,/ }; do
      case $tool in
        default) continue ;;
        irace)
          echo "== $scenario seed $seed: irace, $b runs" >&2
          emit $python bench/configuration/run_irace.py --work "$work" --scenario "$scenario" \
            --seed "$seed" --budget "$b" $reuse || failures=$((failures + 1)) ;;
        irace-ttest)
          echo "== $scenario seed $seed: irace (t-test), $b runs" >&2
          emit $python bench/configuration/run_irace.py --work "$work" --scenario "$scenario" \
            --seed "$seed" --budget "$b" --test-type t-test $reuse || failures=$((failures + 1)) ;;
        winnow|winnow-ttest|winnow-rf)
          echo "== $scenario seed $seed: $tool, $b runs$( ((capping)) && echo ', capping off')" >&2
          emit $python bench/configuration/run_winnow.py --work "$work" --scenario "$scenario" \
            --seed "$seed" --budget "$b" --winnow "$winnow" \
            $([[ $tool == winnow-ttest ]] && echo --test t) $([[ $tool == winnow-rf ]] && echo --rf) \
            $( ((capping)) && echo --no-capping) || failures=$((failures + 1)) ;;
        *) echo "compare_irace.sh: unknown tool '$tool'" >&2; exit 2 ;;
      esac
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $failures failed run(s)" >&2
if ((record)); then
  echo "recorded in $results; tables: $python bench/configuration/summarize.py $results" >&2
fi
exit $((failures > 0))
