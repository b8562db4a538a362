#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Worker utilisation of ASHA under `winnow run`: how busy does the asynchronous scheduler keep
# 1, 4 and 16 workers? Each trial is a process that sleeps (budget - previous_budget) * --unit
# seconds - the work a checkpointing trainer would do for a trial that resumes at previous_budget
# - and then prints the value of the synthetic learning curve (bench/learning_curves.h, task
# "curves") at {budget}: `multifidelity_suite --evaluate curves --budget {budget}
# --previous-budget {previous_budget} --sleep-per-unit U ...`. Sleeping measures the scheduling
# without burning the machine's cores.
#
#   bench/asha_utilisation.sh                                # 1, 4 and 16 workers, ~90 s each
#   bench/asha_utilisation.sh --jobs 16 --seconds 20         # quick check
#   bench/asha_utilisation.sh --scheduler hyperband          # a synchronous scheduler, for contrast
#
# utilisation = sum of the trials' durations (start -> end as stored, from `winnow export --format
# jsonl`) / (jobs x wall time of `winnow run`), start-up and shut-down included. Target (the
# issue): ASHA keeps 16 workers at least 90% busy. Also printed: the same over the span from the
# first trial's start to the last trial's end, and the share of the trials' time spent sleeping
# (the objective's own work; the rest is process start-up and Winnow's bookkeeping per trial).
# A fixed number of trials ends with a tail in which the last, longest trials (up to
# (max - max/eta) x unit s) run while the other workers have nothing left: keep runs at a minute
# or more, or the tail dominates (16 workers for 8 s measure ~65%).
#
# Options: --jobs LIST (default 1,4,16), --seconds S (intended length of each run, default 90;
# sets the number of trials from the expected work per trial), --unit U (seconds of sleep per unit
# of budget, default 0.25), --ladder MIN,MAX,ETA (default 1,27,3), --scheduler SPEC (default
# asha), --sampler SPEC (default random), --build-dir DIR (default build-dev), --json FILE
# (append one JSON line per run), --keep (keep the temporary folders).
# Builds nothing: scripts/build.sh build-dev --target winnow multifidelity_suite
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jobs_list=1,4,16
seconds=90
unit=0.25
ladder=1,27,3
scheduler=asha
sampler=random
build_dir=$root/build-dev
json=
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --jobs) jobs_list=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --unit) unit=$2; shift 2 ;;
    --ladder) ladder=$2; shift 2 ;;
    --scheduler) scheduler=$2; shift 2 ;;
    --sampler) sampler=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "asha_utilisation.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

build_dir=$(cd "$build_dir" && pwd)
winnow=$build_dir/winnow
suite=$build_dir/bench/multifidelity_suite
for program in "$winnow" "$suite"; do
  if [[ ! -x $program ]]; then
    echo "asha_utilisation.sh: $program not found; build it:" \
         "scripts/build.sh $build_dir --target winnow multifidelity_suite" >&2
    exit 1
  fi
done
IFS=, read -r budget_min budget_max budget_eta <<<"$ladder"
"$suite" --evaluate curves --ladder "$ladder" --budget "$budget_max" lr=0.001 width=128 reg=0.3 \
  depth=4 optimizer=adam >/dev/null || { echo "asha_utilisation.sh: bad --ladder '$ladder'" >&2; exit 2; }

# Expected work per trial (in units of budget) under ASHA on this ladder: per eta^(n-1) new
# configurations, eta^(n-1-k) trials reach rung k and each adds r_k - r_(k-1) units.
per_trial=$(/usr/bin/python3 - "$budget_min" "$budget_max" "$budget_eta" <<'EOF'
import math, sys
lo, hi, eta = map(float, sys.argv[1:])
n = int(math.floor(math.log(hi / lo) / math.log(eta) + 1e-9)) + 1
rungs = [math.ceil(hi * eta ** -(n - 1 - k) - 1e-9) for k in range(n)]
trials = sum(eta ** (n - 1 - k) for k in range(n))
work = sum(eta ** (n - 1 - k) * (rungs[k] - (rungs[k - 1] if k else 0)) for k in range(n))
print(work / trials)
EOF
)

echo "machine: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "winnow:  $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include cli 2>/dev/null || echo ' (src/, include/ or cli/ modified)')"
echo "study:   scheduler $scheduler, sampler $sampler, budget $budget_min..$budget_max eta $budget_eta," \
     "objective sleeps (budget - previous_budget) x $unit s; expected $(printf '%.2f' "$per_trial") units per trial"
echo

results=$(mktemp "${TMPDIR:-/tmp}/winnow-utilisation-XXXXXX.jsonl")
trap 'rm -f "$results"' EXIT
IFS=, read -r -a job_counts <<<"$jobs_list"
for jobs in "${job_counts[@]}"; do
  trials=$(/usr/bin/python3 -c "import math; print(max(1, math.ceil($jobs * $seconds / ($per_trial * $unit))))")
  work=$(mktemp -d "${TMPDIR:-/tmp}/winnow-asha-XXXXXX")
  cat >"$work/study.toml" <<EOF
[study]
name = "asha-utilisation"
direction = "minimize"
sampler = "$sampler"
scheduler = "$scheduler"
seed = 1

[budget]
name = "epochs"
min = $budget_min
max = $budget_max
eta = $budget_eta

[objective]
command = ["$suite", "--evaluate", "curves", "--ladder", "$ladder", "--budget", "{budget}",
           "--previous-budget", "{previous_budget}", "--sleep-per-unit", "$unit",
           "lr={lr}", "width={width}", "reg={reg}", "depth={depth}", "optimizer={optimizer}"]

[space]
lr        = { type = "float", low = 1e-5, high = 1.0, log = true }
width     = { type = "int", low = 8, high = 1024, log = true }
reg       = { type = "float", low = 0.0, high = 1.0 }
depth     = { type = "int", low = 1, high = 8 }
optimizer = { type = "categorical", choices = ["sgd", "momentum", "adam"] }
EOF
  echo "running: $winnow run <study.toml> --trials $trials --jobs $jobs --storage sqlite://$work/study.db -q" >&2
  start=$(date +%s.%N)
  status=0
  nice -n 5 "$winnow" run "$work/study.toml" --trials "$trials" --jobs "$jobs" \
    --storage "sqlite://$work/study.db" -q >"$work/report.txt" 2>"$work/stderr.txt" || status=$?
  end=$(date +%s.%N)
  if [[ $status != 0 ]]; then
    echo "asha_utilisation.sh: winnow run exited with status $status:" >&2
    cat "$work/stderr.txt" >&2
    exit 1
  fi
  "$winnow" export "sqlite://$work/study.db" --study asha-utilisation --format jsonl \
    -o "$work/trials.jsonl"
  /usr/bin/python3 - "$work/trials.jsonl" "$jobs" "$trials" "$start" "$end" "$unit" "$budget_max" \
    "$scheduler" >>"$results" <<'EOF'
import collections, datetime, json, sys
path, jobs, trials, start, end, unit, budget_max, scheduler = sys.argv[1:]
jobs, trials, unit, budget_max = int(jobs), int(trials), float(unit), float(budget_max)
rows = [json.loads(line) for line in open(path) if line.strip()]
def t(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
busy = sum(r["duration_s"] for r in rows if r.get("duration_s") is not None)
sleep = sum(r["metrics"].get("work", 0) * unit for r in rows if r["state"] == "complete")
def budget(r):
    return r["user_attrs"].get("winnow.budget", budget_max)
starts = [t(r["start"]) for r in rows if r.get("start")]
ends = [t(r["end"]) for r in rows if r.get("end")]
wall = float(end) - float(start)
span = max(ends) - min(starts)
states = collections.Counter(r["state"] for r in rows)
budgets = collections.Counter("%g" % budget(r) for r in rows)
top = [r["values"][0] for r in rows if r["state"] == "complete" and budget(r) == budget_max]
print(json.dumps({
    "scheduler": scheduler, "jobs": jobs, "trials": len(rows), "complete": states.get("complete", 0),
    "states": dict(states), "trials_by_budget": dict(budgets), "wall_s": wall, "span_s": span,
    "busy_s": busy, "sleep_s": sleep, "utilisation": busy / (jobs * wall),
    "utilisation_span": busy / (jobs * span), "sleep_share": sleep / busy if busy else 0,
    "mean_trial_s": busy / len(rows), "best_at_max": min(top) if top else None}))
EOF
  tail -n 1 "$results" >&2
  if [[ $keep == 1 ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
done
[[ -n $json ]] && cat "$results" >>"$json"

/usr/bin/python3 - "$results" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print("| scheduler | workers | trials | wall s | mean trial s | busy / (workers x wall) | busy / (workers x span) | sleeping share of trial time | trials by budget |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    by_budget = ", ".join("%s: %d" % (b, n) for b, n in sorted(r["trials_by_budget"].items(), key=lambda kv: float(kv[0])))
    print("| %s | %d | %d | %.1f | %.3f | **%.1f%%** | %.1f%% | %.1f%% | %s |" % (
        r["scheduler"], r["jobs"], r["trials"], r["wall_s"], r["mean_trial_s"], 100 * r["utilisation"],
        100 * r["utilisation_span"], 100 * r["sleep_share"], by_budget))
    if r["complete"] != r["trials"]:
        print("\nWARNING: %d workers: states %s" % (r["jobs"], r["states"]))
print()
for r in rows:
    if r["jobs"] == 16:
        print("- %s with 16 workers: %.1f%% busy - target >= 90%%: **%s**" % (
            r["scheduler"], 100 * r["utilisation"], "met" if r["utilisation"] >= 0.9 else "NOT met"))
EOF
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
