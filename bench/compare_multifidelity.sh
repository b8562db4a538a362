#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# The multi-fidelity benchmark in one command:
#   1. multifidelity_suite --self-check: the synthetic optimum, and that a continued trial resumes
#      from its checkpoint and pays only the new budget;
#   2. multifidelity_suite --describe: the tasks and how well low budgets rank configurations;
#   3. multifidelity_suite: random, full-budget TPE, Hyperband, ASHA (random and TPE) and BOHB on
#      each task, every seed, each run stopping at the same consumed budget (one thread);
#   4. summarize_multifidelity.py: best value at the maximum budget against the budget consumed,
#      median over seeds, and the verdict against full-budget TPE;
#   5. asha_utilisation.sh: ASHA under `winnow run` with 1, 4 and 16 sleeping workers.
#
#   bench/compare_multifidelity.sh                                 # everything (~10 min)
#   bench/compare_multifidelity.sh --seeds 2 --tasks curves --utilisation-seconds 15   # ~1 min
#   bench/compare_multifidelity.sh --no-utilisation --out /tmp/mf  # keep the JSON lines
#
# Options: --seeds N (default 5), --tasks LIST (default curves,xgboost, or curves without
# libxgboost), --methods LIST (default all), --budget-limit X (default 100 maximum budgets per
# run), --utilisation-seconds S (length of each utilisation run, default 90), --no-utilisation,
# --build-dir DIR (default build-dev), --out DIR (keep the JSON lines there; default: a temporary
# folder, removed). Builds nothing: scripts/build.sh build-dev --target multifidelity_suite winnow
#
# Everything runs at nice 10, one process at a time, and the suite on one thread.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seeds=5
tasks=
methods=all
budget_limit=100
utilisation=1
utilisation_seconds=90
build_dir=$root/build-dev
out=
while [[ $# -gt 0 ]]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --budget-limit) budget_limit=$2; shift 2 ;;
    --utilisation-seconds) utilisation_seconds=$2; shift 2 ;;
    --no-utilisation) utilisation=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "compare_multifidelity.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

suite=$build_dir/bench/multifidelity_suite
if [[ ! -x $suite ]]; then
  echo "compare_multifidelity.sh: $suite not found; build it:" \
       "scripts/build.sh $build_dir --target multifidelity_suite winnow" >&2
  exit 1
fi
if [[ -z $tasks ]]; then
  tasks=curves
  "$suite" --list | grep -q '^task   xgboost' && tasks=curves,xgboost
fi
if [[ -z $out ]]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/winnow-multifidelity-XXXXXX")
  trap 'rm -rf "$out"' EXIT
else
  mkdir -p "$out"
fi
export OMP_NUM_THREADS=1

echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "winnow:  $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' (src/ or include/ modified)')"
echo "run:     $suite --tasks $tasks --methods $methods --seeds $seeds --budget-limit $budget_limit"
echo

nice -n 10 "$suite" --self-check >"$out/self_check.txt" || { cat "$out/self_check.txt"; exit 1; }
echo '```'
nice -n 10 "$suite" --describe --tasks "$tasks" --configs 100
echo '```'
echo

start=$SECONDS
nice -n 10 "$suite" --tasks "$tasks" --methods "$methods" --seeds "$seeds" \
  --budget-limit "$budget_limit" --output "$out/multifidelity.jsonl" 2>"$out/suite.log" ||
  { cat "$out/suite.log" >&2; exit 1; }
echo "(suite: $((SECONDS - start)) s)"
echo
/usr/bin/python3 "$root/bench/summarize_multifidelity.py" "$out/multifidelity.jsonl"
echo

if [[ $utilisation == 1 ]]; then
  echo "## ASHA worker utilisation"
  echo
  "$root/bench/asha_utilisation.sh" --build-dir "$build_dir" --seconds "$utilisation_seconds" \
    --json "$out/utilisation.jsonl"  # it prints the load average after
else
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
