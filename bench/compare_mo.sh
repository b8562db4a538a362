#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Compares Winnow's multi-objective samplers with Optuna's (NSGAIISampler, TPESampler in
# multi-objective mode, RandomSampler) by the hypervolume of the final front at a fixed budget,
# median over seeds, in one run, on: ZDT1-3 (30-D), ZDT4, ZDT6, DTLZ1-7 (3 objectives), WFG1-9
# (2 objectives, 8-D), shifted and rotated variants (zdt1_shifted, dtlz2_rotated,
# convex_rotated), a mixed space with an integer, a categorical and a conditional parameter
# (mixed), and two real trade-offs (XGBoost validation RMSE, and classification log-loss, vs
# tree nodes). bench/mo_functions.h describes each problem and its reference point.
#   1. checks the problems: C++ and Python each at known Pareto-optimal points, the two
#      definitions (and reference points) against each other at random points, and the Python
#      hypervolume against the C++ one (src/analysis/hypervolume.h) on fixed point sets;
#   2. bench/mo_suite (Winnow), then bench/optuna_mo.py (Optuna): one process at a time, each
#      single-threaded, under nice (all 27 problems take several times as long as the first
#      five; pick some with --problems);
#   3. bench/summarize_mo.py: tables and the verdict, in markdown.
#
#   bench/compare_mo.sh --build-dir build-dev                 # every problem (hours, estimated)
#   bench/compare_mo.sh --build-dir build-dev --problems zdt1,zdt2,zdt3,dtlz2,xgb  # ~20 min
#   bench/compare_mo.sh --build-dir build-dev --seeds 2 --trials 60 --optuna-tpe-trials 0
#   bench/compare_mo.sh --build-dir build-dev --out /tmp/mo   # keep the raw JSON lines
#
# Options: --seeds N (default 10; seeds 1..N), --trials N (default: each problem's, 300),
# --problems all|NAME,... (zdt1,zdt2,zdt3,zdt4,zdt6,zdt1_shifted,dtlz1,dtlz2,dtlz3,dtlz4,dtlz5,
# dtlz6,dtlz7,dtlz2_rotated,wfg1,wfg2,wfg3,wfg4,wfg5,wfg6,wfg7,wfg8,wfg9,convex_rotated,mixed,
# xgb,xgb_cls), --samplers SPEC,... (Winnow; default nsga2,motpe,auto,random - unknown ones are
# reported and skipped),
# --optuna-samplers NAME,... (default nsga2,tpe,random), --optuna-tpe-trials N (default 100:
# Optuna 3.1's multi-objective TPE takes ~25 s per 100-trial run in 30-D and minutes per
# 300-trial run, so it is capped; the summary compares every sampler at a budget all reached, here
# 100 trials, and separately at the full budget; 0 = no cap), --build-dir DIR (default build),
# --out DIR (keep the JSON lines there; default: a temporary folder, removed).
# Builds nothing: build first, e.g. scripts/build.sh build-dev --target mo_suite
# (which also builds bench/xgb_tradeoff_objective when libxgboost is installed). The reference
# points of the later analytic problems: bench/mo_reference_points.py.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seeds=10
trials=
problems=all
samplers=nsga2,motpe,auto,random
optuna_samplers=nsga2,tpe,random
tpe_trials=100
build_dir=$root/build
out=
while [[ $# -gt 0 ]]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --problems) problems=$2; shift 2 ;;
    --samplers) samplers=$2; shift 2 ;;
    --optuna-samplers) optuna_samplers=$2; shift 2 ;;
    --optuna-tpe-trials) tpe_trials=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "compare_mo.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

suite=$build_dir/bench/mo_suite
xgb=$build_dir/bench/xgb_tradeoff_objective
if [[ ! -x $suite ]]; then
  echo "compare_mo.sh: $suite not found. Build it first: scripts/build.sh $build_dir --target mo_suite" >&2
  exit 1
fi
if [[ ! -x $xgb ]]; then
  echo "compare_mo.sh: warning: $xgb not found (libxgboost-dev missing?);" \
    "the xgb and xgb_cls runs will record errors" >&2
fi
python=/usr/bin/python3
if ! $python -c 'import optuna' 2>/dev/null; then
  echo "compare_mo.sh: Optuna is not installed for $python (apt-get install -y python3-optuna)" >&2
  exit 1
fi

if [[ -z $out ]]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/winnow-mo-XXXXXX")
  trap 'rm -rf "$out"' EXIT
else
  mkdir -p "$out"
fi

# Hypervolumes at these trial counts too, so a capped sampler's final budget is a checkpoint of
# every other run.
checkpoints=50,100,200,300
trial_args=()
if [[ -n $trials ]]; then
  trial_args=(--trials "$trials")
fi
tpe_args=()
if [[ $tpe_trials != 0 ]]; then
  [[ ,$checkpoints, == *,$tpe_trials,* ]] || checkpoints=$checkpoints,$tpe_trials
  tpe_args=(--sampler-trials "tpe=$tpe_trials,tpe:multivariate=$tpe_trials")
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "winnow:  $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' (src/ or include/ modified)'); optuna: $($python -c 'import optuna; print(optuna.__version__)')"
echo "run:     --seeds $seeds --trials ${trials:-default (300)} --problems $problems"
echo "         winnow: $samplers; optuna: $optuna_samplers$([[ $tpe_trials != 0 ]] && echo " (tpe capped at $tpe_trials trials)")"
echo

# One core: single-threaded programs, one at a time, niced; no OpenMP pool in XGBoost. (Set
# after the header: nproc reports OMP_NUM_THREADS.)
export OMP_NUM_THREADS=1
run=(nice -n 10)

echo "checking the problems" >&2
"$suite" --self-check >"$out/self_check_cpp.txt" || { cat "$out/self_check_cpp.txt"; exit 1; }
$python "$root/bench/mo_functions.py" --self-check --xgb-objective "$xgb" >"$out/self_check_py.txt" \
  || { cat "$out/self_check_py.txt"; exit 1; }
"$suite" --points 100 >"$out/points.jsonl"
if ! $python "$root/bench/mo_functions.py" --check-points "$out/points.jsonl" --xgb-objective "$xgb" \
    >"$out/cross_check.txt"; then
  echo "compare_mo.sh: the C++ (bench/mo_functions.cc) and Python (bench/mo_functions.py) problems disagree:" >&2
  cat "$out/cross_check.txt" >&2
  exit 1
fi
echo "  $(tail -n 1 "$out/cross_check.txt")" >&2
"$suite" --hv-check >"$out/hv_check.jsonl" 2>/dev/null
if ! $python "$root/bench/optuna_mo.py" --check-hypervolume "$out/hv_check.jsonl" >"$out/hv_check.txt"; then
  echo "compare_mo.sh: the Python and C++ hypervolumes disagree:" >&2
  cat "$out/hv_check.txt" >&2
  exit 1
fi
echo "  $(tail -n 1 "$out/hv_check.txt")" >&2

echo "running Winnow:  $suite --samplers $samplers --problems $problems --seeds $seeds ${trial_args[*]-} --checkpoints $checkpoints" >&2
start=$SECONDS
"${run[@]}" "$suite" --samplers "$samplers" --problems "$problems" --seeds "$seeds" \
  ${trial_args[@]+"${trial_args[@]}"} --checkpoints "$checkpoints" --xgb-objective "$xgb" \
  --output "$out/winnow.jsonl"
echo "  done in $((SECONDS - start)) s" >&2
winnow_seconds=$((SECONDS - start))

echo "running Optuna:  $python bench/optuna_mo.py --samplers $optuna_samplers --problems $problems --seeds $seeds ${trial_args[*]-} ${tpe_args[*]-} --checkpoints $checkpoints" >&2
start=$SECONDS
"${run[@]}" $python "$root/bench/optuna_mo.py" --samplers "$optuna_samplers" --problems "$problems" \
  --seeds "$seeds" ${trial_args[@]+"${trial_args[@]}"} ${tpe_args[@]+"${tpe_args[@]}"} \
  --checkpoints "$checkpoints" --xgb-objective "$xgb" --output "$out/optuna.jsonl"
echo "  done in $((SECONDS - start)) s" >&2
optuna_seconds=$((SECONDS - start))

$python "$root/bench/summarize_mo.py" "$out/winnow.jsonl" "$out/optuna.jsonl"
echo
echo "wall time: Winnow $winnow_seconds s, Optuna $optuna_seconds s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
