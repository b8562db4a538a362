#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Scheduling efficiency of several `winnow worker` processes sharing one study in PostgreSQL,
# the distributed counterpart of bench/scheduling.sh: the objective of bench/scheduling/study.toml
# sleeps 0.5 s, so W workers of J jobs each, sharing a budget of T trials, ideally take
# ceil((T - 1) / (W * J)) * 0.5 s (`winnow run --trials 1` runs the first trial while it stores
# the study's definition, before the clock starts). Everything beyond that is overhead: starting
# the workers, their round trips to the database, the coordination of who runs which trial,
# the gaps between trials and shut-down.
#
#   bench/distributed/scheduling.sh                        # 2,000 trials, 4 workers x 8 jobs
#   bench/distributed/scheduling.sh --trials 161           # quick check (~3 s)
#
# Options: --workers W (default 4), --jobs J per worker (default 8), --trials T (default 2000),
# --storage postgresql|sqlite (default postgresql: the same workers on one SQLite file instead,
# to tell what the database costs from what the machine's cores cost),
# --build-dir DIR (default build), --out FILE (default bench/results/distributed_scheduling.jsonl),
# --keep (keep the temporary folder with the study file, the trial folders and the workers' logs),
# --durable (the server flushes every commit to disk, PostgreSQL's default, rather than the test
# server's settings; the record names the server's settings either way).
# The server is a throwaway one, started with tests/postgres/server.sh in a temporary folder and
# stopped at the end. The result is one JSON line appended to --out, stamped with the commit,
# command, machine and date; the script exits 1 if the study does not hold exactly T complete
# trials (the line is written all the same, since that is a finding).
set -euo pipefail

SLEEP_SECONDS=0.5  # the objective's sleep in bench/scheduling/study.toml
STUDY=scheduling

root=$(cd "$(dirname "$0")/../.." && pwd)
original_args=("$@")
workers=4
jobs=8
trials=2000
build_dir=$root/build
out=$root/bench/results/distributed_scheduling.jsonl
keep=0
durable=0
storage=postgresql
while [[ $# -gt 0 ]]; do
  case $1 in
    --workers) workers=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --durable) durable=1; shift ;;
    --storage) storage=$2; shift 2 ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "scheduling.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for value in "$workers" "$jobs" "$trials"; do
  [[ $value =~ ^[0-9]+$ ]] || { echo "scheduling.sh: '$value' is not a whole number" >&2; exit 2; }
done
if [[ $storage != postgresql && $storage != sqlite ]]; then
  echo "scheduling.sh: --storage is postgresql or sqlite, not '$storage'" >&2
  exit 2
fi
if [[ $durable == 1 && $storage != postgresql ]]; then
  echo "scheduling.sh: --durable is a setting of the PostgreSQL server; SQLite has none" >&2
  exit 2
fi
if ((workers < 1 || jobs < 1 || trials < 2)); then
  echo "scheduling.sh: --workers and --jobs must be >= 1 and --trials >= 2" >&2
  exit 2
fi
[[ $out = /* ]] || out=$PWD/$out

winnow=$build_dir/winnow
[[ $winnow = /* ]] || winnow=$PWD/$winnow
study_file=$root/bench/scheduling/study.toml
server_script=$root/tests/postgres/server.sh
psql=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
if [[ ! -x $winnow ]]; then
  echo "scheduling.sh: $winnow not found; build it: scripts/build.sh build --target winnow" >&2
  exit 1
fi
if ! grep -q "sleep $SLEEP_SECONDS;" "$study_file"; then
  echo "scheduling.sh: $study_file does not sleep $SLEEP_SECONDS s; update SLEEP_SECONDS" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/winnow-distributed-scheduling-XXXXXX")
# Its own short path: the server's socket lives in it, and socket paths are limited to 107 bytes.
server_dir=$(mktemp -d /tmp/winnow-pg-XXXXXX)
cleanup() {
  "$server_script" stop "$server_dir" >/dev/null 2>&1 || true
  if [[ $keep == 1 ]]; then
    echo "kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
cp "$study_file" "$work/study.toml"

if [[ $storage == postgresql ]]; then
  WINNOW_PG_DURABLE=$durable "$server_script" start "$server_dir" >/dev/null
  url=$(cat "$server_dir/url")
  postgres_version=$("$psql" -X -tA -d "$url" -c "show server_version")
  # What the server does with a commit, as JSON.
  durability=$("$psql" -X -tA -d "$url" -c "select json_object_agg(name, setting) from \
    pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes')")
else
  url=sqlite://$work/study.db
  postgres_version=
  durability=
fi

if ! "$winnow" run "$work/study.toml" --storage "$url" --study "$STUDY" --trials 1 -q \
  >"$work/run.txt" 2>"$work/run.stderr"; then
  echo "scheduling.sh: winnow run (storing the study) failed:" >&2
  cat "$work/run.stderr" >&2
  exit 1
fi

now() { date +%s.%N; }

load_before=$(cut -d' ' -f1 /proc/loadavg)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: $workers x ($winnow worker --storage $url --study $STUDY --jobs $jobs --trials $trials -q)"
start=$(now)
pids=()
for ((i = 0; i < workers; ++i)); do
  "$winnow" worker --storage "$url" --study "$STUDY" --jobs "$jobs" --trials "$trials" -q \
    >"$work/worker-$i.txt" 2>"$work/worker-$i.stderr" &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  status=0
  wait "${pids[$i]}" || status=$?
  if [[ $status != 0 ]]; then
    echo "scheduling.sh: worker $i exited with status $status:" >&2
    cat "$work/worker-$i.stderr" >&2
    failed=1
  fi
done
end=$(now)
if [[ $failed == 1 ]]; then
  exit 1
fi

# One trial per JSON line (`--format json` is tried as well, for builds that name it so).
if ! "$winnow" export --storage "$url" --study "$STUDY" --format jsonl >"$work/trials.jsonl" \
  2>"$work/export.stderr" &&
  ! "$winnow" export --storage "$url" --study "$STUDY" --format json >"$work/trials.jsonl" \
    2>"$work/export.stderr"; then
  echo "scheduling.sh: winnow export failed:" >&2
  cat "$work/export.stderr" >&2
  exit 1
fi

/usr/bin/python3 - "$work/trials.jsonl" "$out" "$workers" "$jobs" "$trials" "$SLEEP_SECONDS" \
  "$start" "$end" "$load_before" "$postgres_version" "$("$winnow" --version)" "$storage" \
  "$durability" "$0" "${original_args[@]}" <<'EOF'
import datetime
import json
import math
import os
import sys

(trials_file, out, workers, jobs, trials, sleep, start, end, load_before, postgres_version,
 winnow_version, storage, durability) = sys.argv[1:14]
argv = sys.argv[14:]
workers, jobs, trials = int(workers), int(jobs), int(trials)
sleep, start, end = float(sleep), float(start), float(end)
sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
from throughput import provenance  # noqa: E402  (the same stamp as the throughput benchmark)


def epoch(iso):
    return datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() if iso else None


with open(trials_file) as f:
    text = f.read().strip()
rows = json.loads(text) if text.startswith("[") else [json.loads(l) for l in text.splitlines() if l]
states = {}
for r in rows:
    states[r["state"]] = states.get(r["state"], 0) + 1
# The workers' trials: those that started after the clock did (not the one `winnow run` ran).
ran = [r for r in rows if r.get("start") and epoch(r["start"]) >= start - 0.001]
span = max(epoch(r["end"]) for r in ran if r.get("end")) - min(epoch(r["start"]) for r in ran) \
    if ran else 0.0
busy = sum(r.get("duration_s") or 0.0 for r in ran)

slots = workers * jobs
ideal = math.ceil((trials - 1) / slots) * sleep
wall = end - start
overhead = (wall - ideal) / ideal * 100
complete = states.get("complete", 0)
record = {**provenance(argv), "cores": os.cpu_count(), "storage": storage,
          "workers": workers, "jobs": jobs,
          "trials": trials, "sleep_s": sleep, "ideal_s": round(ideal, 3), "wall_s": round(wall, 3),
          "overhead_pct": round(overhead, 2), "stored_trials": len(rows), "complete": complete,
          "states": states, "span_s": round(span, 3),
          "utilisation_pct": round(busy / (slots * span) * 100, 2) if span > 0 else None,
          # A trial's own time (start to end as stored: spawning the objective, its sleep,
          # reading its result) against the sleep: what the machine adds, not the scheduling.
          "trial_mean_s": round(busy / len(ran), 4) if ran else None,
          "load_before": float(load_before), "winnow_version": winnow_version.split()[-1],
          "postgres_version": postgres_version or None}
if durability:
    record["postgres_durability"] = json.loads(durability)

print()
print("trials %d on %d workers x %d jobs, objective: sleep %g s" % (trials, workers, jobs, sleep))
print("  ideal wall time           %8.3f s   (ceil((%d - 1) / %d) * %g s)" % (
    ideal, trials, slots, sleep))
print("  measured wall time        %8.3f s   overhead %+.2f%%" % (wall, overhead))
print("  first trial start -> last trial end   %7.3f s" % span)
print("  start-up + shut-down (wall - that)    %7.3f s" % (wall - span))
if record["utilisation_pct"] is not None:
    print("  slot utilisation, busy / (slots * span) %6.2f%%" % record["utilisation_pct"])
if record["trial_mean_s"] is not None:
    print("  mean trial duration (stored)          %7.4f s" % record["trial_mean_s"])
print("  trials stored %d: %s" % (len(rows), ", ".join("%s %d" % kv for kv in sorted(states.items()))))

line = json.dumps(record)
print(line)
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "a") as f:
    f.write(line + "\n")
if len(rows) != trials or complete != trials:
    print("  WARNING: the study should hold exactly %d complete trials" % trials)
    sys.exit(1)
EOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
