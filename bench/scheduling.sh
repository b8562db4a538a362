#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Scheduling efficiency of `winnow run`'s worker pool, modelled on Ray Tune's scalability test
# (many short trials on many workers): bench/scheduling/study.toml runs `sh -c "sleep 0.5; ..."`
# as its objective, so with T trials on J jobs the ideal wall time is ceil(T / J) * 0.5 s
# (2,000 trials on 16 jobs: 62.5 s). Everything beyond it is overhead: starting the processes,
# the SQLite writes of each trial, the scheduling gaps, and start-up and shut-down.
# Target: within 3% of ideal.
#
#   bench/scheduling.sh                       # 2,000 trials, 16 jobs (~65 s)
#   bench/scheduling.sh --trials 160          # quick check (~5 s)
#
# Options: --trials N (default 2000), --jobs J (default 16), --build-dir DIR (default build),
# --keep (keep the temporary folder with the SQLite file and the trial folders).
# The run uses a copy of the study file in a new temporary folder, SQLite storage in it, and -q.
set -euo pipefail

SLEEP_SECONDS=0.5  # the objective's sleep in bench/scheduling/study.toml
TARGET_PERCENT=3

root=$(cd "$(dirname "$0")/.." && pwd)
trials=2000
jobs=16
build_dir=$root/build
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --trials) trials=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "scheduling.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

winnow=$build_dir/winnow
study_file=$root/bench/scheduling/study.toml
if [[ ! -x $winnow ]]; then
  echo "scheduling.sh: $winnow not found; build it: scripts/build.sh build --target winnow" >&2
  exit 1
fi
if ! grep -q "sleep $SLEEP_SECONDS;" "$study_file"; then
  echo "scheduling.sh: $study_file does not sleep $SLEEP_SECONDS s; update SLEEP_SECONDS" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/winnow-scheduling-XXXXXX")
if [[ $keep == 1 ]]; then
  echo "keeping $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi
cp "$study_file" "$work/study.toml"

now() { date +%s.%N; }

# What the objective costs by itself, without Winnow: sh, then sleep, run back to back.
baseline_runs=8
baseline_start=$(now)
for ((i = 0; i < baseline_runs; ++i)); do sh -c "sleep $SLEEP_SECONDS; echo 0.5" >/dev/null; done
baseline_end=$(now)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: $winnow run <copy of bench/scheduling/study.toml> --trials $trials --jobs $jobs --storage sqlite://$work/study.db -q"
start=$(now)
status=0
"$winnow" run "$work/study.toml" --trials "$trials" --jobs "$jobs" \
  --storage "sqlite://$work/study.db" -q >"$work/report.txt" 2>"$work/stderr.txt" || status=$?
end=$(now)
if [[ $status != 0 ]]; then
  echo "scheduling.sh: winnow run exited with status $status:" >&2
  cat "$work/stderr.txt" >&2
  exit 1
fi

/usr/bin/python3 - "$work/study.db" "$trials" "$jobs" "$SLEEP_SECONDS" "$start" "$end" \
  "$baseline_start" "$baseline_end" "$baseline_runs" "$TARGET_PERCENT" <<'EOF'
import math
import sqlite3
import sys

db, trials, jobs, sleep, start, end, baseline_start, baseline_end, baseline_runs, target = \
    sys.argv[1:]
trials, jobs, target = int(trials), int(jobs), float(target)
sleep, start, end = float(sleep), float(start), float(end)
alone = (float(baseline_end) - float(baseline_start)) / int(baseline_runs)

connection = sqlite3.connect(db)
states = dict(connection.execute("SELECT state, COUNT(*) FROM trials GROUP BY state"))
first_start, last_end, busy_ms, mean_ms = connection.execute(
    "SELECT MIN(start_ms), MAX(end_ms), SUM(end_ms - start_ms), AVG(end_ms - start_ms) "
    "FROM trials").fetchone()

ideal = math.ceil(trials / jobs) * sleep
wall = end - start
overhead = (wall - ideal) / ideal * 100
span = (last_end - first_start) / 1e3
utilisation = busy_ms / 1e3 / (jobs * span)

print()
print("trials %d, jobs %d, objective: sleep %g s" % (trials, jobs, sleep))
print("  ideal wall time           %8.3f s   (ceil(%d / %d) * %g s)" % (ideal, trials, jobs, sleep))
print("  measured wall time        %8.3f s   overhead %+.2f%%   target <= %g%%: %s" % (
    wall, overhead, target, "met" if overhead <= target else "NOT met"))
print("where the time goes:")
print("  objective alone (sh + sleep, no Winnow)  %7.4f s per run (%+.2f%% over %g s)" % (
    alone, (alone - sleep) / sleep * 100, sleep))
print("  mean trial, start -> end as stored       %7.4f s" % (mean_ms / 1e3))
print("  first trial start -> last trial end      %7.3f s" % span)
print("  start-up + shut-down (wall - that)       %7.3f s" % (wall - span))
print("  worker utilisation, busy / (jobs * span) %7.2f%%" % (utilisation * 100))
print("  trial states: %s" % ", ".join("%s %d" % kv for kv in sorted(states.items())))
if states.get("complete", 0) != trials:
    print("  WARNING: not every trial completed; the timing is not meaningful")
    sys.exit(1)
EOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
