#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# `winnow serve` under load: throughput and latency of the dynamic schedule against the two
# baselines (per-request, and fixed batches of a few sizes, the best of which is the fair
# comparison), for ensembles of 5 and 20 members and 1, 8 and 64 concurrent clients.
#
#   bench/serve_bench.sh                          # ~6 min of load plus the fit
#   bench/serve_bench.sh --seconds 3 --clients "1 64" --members 5    # quick check
#
# It fits a binary model on generated data (4000 rows, numeric and categorical columns) with a
# mix of families, makes 5- and 20-member files of it with bench/serve_model, then for each
# file, schedule and client count starts `winnow serve` on a free port and runs
# bench/serve_load against it for --seconds; each result is one JSON line appended to
# bench/results/serve.jsonl through bench/record_results.sh (commit, machine, date).
#
# Options: --seconds S (per run, default 10), --clients "1 8 64", --members "5 20",
# --fixed-batches "8 32 128", --max-wait 2ms, --fit-seconds 180, --build-dir DIR (default
# build; needs targets winnow, serve_load, serve_model), --out FILE, --keep DIR (keep the
# model files and rows there). Everything runs under nice.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=10
clients_list="1 8 64"
members_list="5 20"
fixed_batches="8 32 128"
max_wait=2ms
fit_seconds=180
build_dir=$root/build
out=$root/bench/results/serve.jsonl
keep=
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients_list=$2; shift 2 ;;
    --members) members_list=$2; shift 2 ;;
    --fixed-batches) fixed_batches=$2; shift 2 ;;
    --max-wait) max_wait=$2; shift 2 ;;
    --fit-seconds) fit_seconds=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "serve_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
winnow=$build_dir/winnow
load=$build_dir/bench/serve_load
make_model=$build_dir/bench/serve_model
for program in "$winnow" "$load" "$make_model"; do
  [[ -x $program ]] || { echo "serve_bench.sh: build $program first" >&2; exit 2; }
done

if [[ -n $keep ]]; then
  work=$keep
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

# label = 1 when a noisy score of the columns is positive; job and region are categorical.
python3 - "$work" <<'EOF'
import random, sys
random.seed(42)
jobs = ["admin", "nurse", "pilot", "teacher", "clerk", "chef"]
regions = ["north", "south", "east", "west"]
def row():
    x = [random.gauss(0, 1) for _ in range(8)]
    job, region = random.randrange(len(jobs)), random.randrange(len(regions))
    score = x[0] - 0.7 * x[1] + 0.5 * x[2] * x[3] + 0.3 * (job % 3) - 0.4 * (region == 1)
    score += 0.5 * random.gauss(0, 1)
    cells = [f"{v:.4f}" for v in x] + [jobs[job], regions[region]]
    return cells, "yes" if score > 0 else "no"
header = [f"x{i}" for i in range(8)] + ["job", "region"]
with open(f"{sys.argv[1]}/train.csv", "w") as train:
    train.write(",".join(header + ["label"]) + "\n")
    for _ in range(4000):
        cells, label = row()
        train.write(",".join(cells + [label]) + "\n")
with open(f"{sys.argv[1]}/rows.csv", "w") as rows:
    rows.write(",".join(header) + "\n")
    for _ in range(1000):
        rows.write(",".join(row()[0]) + "\n")
EOF

if [[ ! -f $work/model.winnow ]]; then
  nice -n 10 "$winnow" automl fit "$work/train.csv" --target label --time-limit "${fit_seconds}s" \
    --models xgboost,random_forest,extra_trees,linear,knn,mlp --seed 1 --jobs 2 \
    --out "$work/model.winnow" >"$work/fit.log" 2>&1 || { cat "$work/fit.log" >&2; exit 1; }
fi
for members in $members_list; do
  "$make_model" "$work/model.winnow" "$work/members$members.winnow" --members "$members"
done

# One server per configuration; its first line on stdout names the port.
run() {
  local members=$1 schedule=$2 batch=$3 clients=$4
  nice -n 10 "$winnow" serve "$work/members$members.winnow" --port 0 --schedule "$schedule" \
    --max-batch "$batch" --max-wait "$max_wait" >"$work/serve.out" 2>"$work/serve.err" &
  local pid=$! port=
  for _ in $(seq 600); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out" 2>/dev/null | head -1 | cut -d: -f2 ||
           true)
    [[ -n $port ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $port ]]; then
    cat "$work/serve.err" >&2
    kill -TERM "$pid" 2>/dev/null || true
    return 1
  fi
  nice -n 10 "$root/bench/record_results.sh" "$out" -- "$load" --port "$port" \
    --csv "$work/rows.csv" --clients "$clients" --seconds "$seconds" \
    --label benchmark=serve --label members="$members" --label schedule="$schedule" \
    --label max_batch="$batch" --label max_wait="$max_wait"
  kill -TERM "$pid"
  wait "$pid" || true
}

for members in $members_list; do
  for clients in $clients_list; do
    run "$members" dynamic 256 "$clients"
    run "$members" per-request 1 "$clients"
    for batch in $fixed_batches; do run "$members" fixed-batch "$batch" "$clients"; done
  done
done
