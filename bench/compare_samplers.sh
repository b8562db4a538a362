#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Compares Winnow's samplers with Optuna's on the same test functions in the same run:
#   1. checks the test functions: C++ and Python each at their known minimisers, then the C++
#      and Python definitions against each other at random points (a mismatch stops the run);
#   2. bench/sampler_suite (Winnow), then bench/optuna_samplers.py (Optuna), one after the
#      other, each single-threaded so ask times are clean;
#   3. bench/ask_time and bench/optuna_ask_time.py (ask time with N trials in the study);
#   4. bench/summarize_samplers.py: regret and ask-time tables and the verdicts, in markdown.
#
#   bench/compare_samplers.sh                                  # the full comparison
#   bench/compare_samplers.sh --seeds 2 --trials 30 --samplers random,sobol --no-ask-time
#   bench/compare_samplers.sh --build-dir build-dev --out /tmp/samplers   # keep the raw JSON
#
# Options: --seeds N (default 10; seeds are 1..N), --trials N (default 100), --functions
# all|NAME,... (default all), --samplers SPEC,... (Winnow; default tpe,gp,cmaes,auto,random,sobol),
# --optuna-samplers NAME,... (default random,tpe,tpe:multivariate,cmaes,qmc), --ask-n N,...
# (default 100,200,500,1000), --asks K (default 20), --no-ask-time, --build-dir DIR (default
# build), --out DIR (keep the JSON lines there; default: a temporary folder, removed).
# Builds nothing: the benchmarks must be built first, e.g.
#   scripts/build.sh build --target sampler_suite ask_time
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seeds=10
trials=100
functions=all
samplers=tpe,gp,cmaes,auto,random,sobol
optuna_samplers=random,tpe,tpe:multivariate,cmaes,qmc
ask_n=100,200,500,1000
asks=20
ask_time=1
build_dir=$root/build
out=
while [[ $# -gt 0 ]]; do
  case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --functions) functions=$2; shift 2 ;;
    --samplers) samplers=$2; shift 2 ;;
    --optuna-samplers) optuna_samplers=$2; shift 2 ;;
    --ask-n) ask_n=$2; shift 2 ;;
    --asks) asks=$2; shift 2 ;;
    --no-ask-time) ask_time=0; shift ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "compare_samplers.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

suite=$build_dir/bench/sampler_suite
ask_bench=$build_dir/bench/ask_time
for program in "$suite" "$ask_bench"; do
  if [[ ! -x $program ]]; then
    echo "compare_samplers.sh: $program not found. Build the benchmarks first (bench is ON by" >&2
    echo "default): scripts/build.sh $build_dir --target sampler_suite ask_time" >&2
    exit 1
  fi
done
python=/usr/bin/python3
if ! $python -c 'import optuna, cmaes' 2>/dev/null; then
  echo "compare_samplers.sh: Optuna and cmaes are not installed for $python" \
       "(apt-get install -y python3-optuna; pip install cmaes)" >&2
  exit 1
fi

if [[ -z $out ]]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/winnow-samplers-XXXXXX")
  trap 'rm -rf "$out"' EXIT
else
  mkdir -p "$out"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "winnow:  $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' (src/ or include/ modified)'); optuna: $($python -c 'import optuna; print(optuna.__version__)'); cmaes: $($python -c 'import cmaes; print(cmaes.__version__)')"
echo "run:     --seeds $seeds --trials $trials --functions $functions"
echo "         winnow: $samplers; optuna: $optuna_samplers"
echo

echo "checking the test functions" >&2
"$suite" --self-check >"$out/self_check_cpp.txt" || { cat "$out/self_check_cpp.txt"; exit 1; }
$python "$root/bench/functions.py" --self-check >"$out/self_check_py.txt" || { cat "$out/self_check_py.txt"; exit 1; }
"$suite" --points 200 >"$out/points.jsonl"
if ! $python "$root/bench/functions.py" --check-points "$out/points.jsonl" >"$out/cross_check.txt"; then
  echo "compare_samplers.sh: the C++ (bench/functions.cc) and Python (bench/functions.py) test" \
       "functions disagree:" >&2
  cat "$out/cross_check.txt" >&2
  exit 1
fi
echo "  $(tail -n 1 "$out/cross_check.txt")" >&2

echo "running Winnow:  $suite --samplers $samplers --functions $functions --seeds $seeds --trials $trials" >&2
start=$SECONDS
"$suite" --samplers "$samplers" --functions "$functions" --seeds "$seeds" --trials "$trials" \
  --output "$out/winnow.jsonl"
echo "  done in $((SECONDS - start)) s" >&2

echo "running Optuna:  $python bench/optuna_samplers.py --samplers $optuna_samplers --functions $functions --seeds $seeds --trials $trials" >&2
start=$SECONDS
$python "$root/bench/optuna_samplers.py" --samplers "$optuna_samplers" --functions "$functions" \
  --seeds "$seeds" --trials "$trials" --output "$out/optuna.jsonl"
echo "  done in $((SECONDS - start)) s" >&2

ask_args=()
if [[ $ask_time == 1 ]]; then
  echo "running ask time: $ask_bench --samplers tpe,gp --n $ask_n --asks $asks" >&2
  start=$SECONDS
  "$ask_bench" --samplers tpe,gp --n "$ask_n" --asks "$asks" --json >"$out/winnow_ask.jsonl"
  $python "$root/bench/optuna_ask_time.py" --samplers tpe,tpe:multivariate --n "$ask_n" \
    --asks "$asks" --json >"$out/optuna_ask.jsonl"
  echo "  done in $((SECONDS - start)) s" >&2
  ask_args=(--ask-time "$out/winnow_ask.jsonl" "$out/optuna_ask.jsonl")
fi

$python "$root/bench/summarize_samplers.py" "$out/winnow.jsonl" "$out/optuna.jsonl" \
  ${ask_args[@]+"${ask_args[@]}"}
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
