#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Runs the AutoML benchmark: every dataset x outer fold x time limit, the baselines (baselines.py)
# then Winnow (run_winnow.py), one run at a time (runs that share cores would distort the time
# limits), appending one JSON line per run to the results file. A failed run is recorded and the
# loop goes on. Exports the datasets first if they are not there. Settings from the environment:
#
#   DATASETS     space-separated names (default: all of datasets.json)
#   FOLDS        outer folds of the split, at least 2 (default 3; AMLB uses 10)
#   RUN_FOLDS    how many of them to run, folds 0..RUN_FOLDS-1 (default all FOLDS)
#   TIME_LIMITS  seconds (default "60 300")
#   METHODS      baseline methods (default rf,hgb,linear,xgb_optuna; empty: no baselines)
#   WINNOW       the winnow binary (default build/winnow; empty: skip Winnow)
#   WINNOW_ARGS  more arguments for `winnow automl fit`
#   N_JOBS       threads for the baselines (default 1)
#   OUT          results file (default bench/results/automl.jsonl)
#
#   RUN_FOLDS=1 TIME_LIMITS=60 DATASETS="vehicle diamonds" bench/automl/run_all.sh
#   /usr/bin/python3 bench/automl/summarize.py bench/results/automl.jsonl
set -uo pipefail  # no -e: one failed run must not end the loop

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python=/usr/bin/python3  # Debian's, which has scikit-learn, XGBoost and Optuna
data=bench/automl/data
folds=${FOLDS:-3}
run_folds=${RUN_FOLDS:-$folds}
time_limits=${TIME_LIMITS:-60 300}
methods=${METHODS-rf,hgb,linear,xgb_optuna}
winnow=${WINNOW-build/winnow}
out=${OUT:-bench/results/automl.jsonl}

[[ -f $data/datasets.json ]] || $python bench/automl/export_datasets.py "$data" || exit 1
datasets=${DATASETS:-$($python -c 'import json,sys; print(" ".join(d["name"] for d in json.load(open(sys.argv[1]))["datasets"]))' "$data/datasets.json")}
if [[ -n $winnow && ! -x $winnow ]]; then
  echo "warning: $winnow is not executable; its runs will be recorded as errors" >&2
fi

failures=0
for limit in $time_limits; do
  for dataset in $datasets; do
    for ((fold = 0; fold < run_folds && fold < folds; fold++)); do
      echo "== $dataset fold $fold/$folds limit ${limit}s" >&2
      common=(--dataset "$dataset" --folds "$folds" --fold "$fold" --time-limit "$limit" --data "$data" --out "$out")
      if [[ -n $methods ]]; then
        $python bench/automl/baselines.py "${common[@]}" --methods "$methods" --n-jobs "${N_JOBS:-1}" \
          >/dev/null || ((failures++))
      fi
      if [[ -n $winnow ]]; then
        $python bench/automl/run_winnow.py "${common[@]}" --winnow "$winnow" --extra "${WINNOW_ARGS:-}" \
          >/dev/null || ((failures++))
      fi
    done
  done
done
echo "results appended to $out; $failures failed invocation(s)" >&2
