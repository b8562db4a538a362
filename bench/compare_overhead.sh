#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Runs bench/overhead (Winnow) and bench/optuna_overhead.py (Optuna 3.x) one after the other on
# this machine and prints one table: mean microseconds per ask + tell for each, and the ratio
# Optuna / Winnow. Target: ratio >= 100 in memory and with SQLite.
#
#   bench/compare_overhead.sh                       # 1k / 10k / 100k trials (~15 min, mostly Optuna)
#   bench/compare_overhead.sh --trials 1000,2000    # quick check
#   bench/compare_overhead.sh --storage memory --out /tmp/results
#
# Options: --trials N[,N...] (default 1000,10000,100000), --storage memory|sqlite|all,
# --repeat R (both sides run each configuration R times and report medians; default 1),
# --build-dir DIR (default build), --out DIR (keep the raw JSON there; default: a temporary
# folder, removed), --sqlite-max-trials N and --time-limit S (passed to the Optuna script).
# The Winnow benchmark must be built first: scripts/build.sh build --target overhead
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
trials=1000,10000,100000
storage=all
repeat=1
build_dir=$root/build
out=
optuna_args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --trials) trials=$2; shift 2 ;;
    --storage) storage=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --sqlite-max-trials|--time-limit) optuna_args+=("$1" "$2"); shift 2 ;;
    -h|--help) awk 'NR > 2 && !/^#/ {exit} NR > 2 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "compare_overhead.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

winnow_bench=$build_dir/bench/overhead
if [[ ! -x $winnow_bench ]]; then
  echo "compare_overhead.sh: $winnow_bench not found; build it: scripts/build.sh build --target overhead" >&2
  exit 1
fi
python=/usr/bin/python3
if ! $python -c 'import optuna' 2>/dev/null; then
  echo "compare_overhead.sh: Optuna is not installed for $python (apt-get install -y python3-optuna)" >&2
  exit 1
fi

if [[ -z $out ]]; then
  out=$(mktemp -d "${TMPDIR:-/tmp}/winnow-compare-XXXXXX")
  trap 'rm -rf "$out"' EXIT
else
  mkdir -p "$out"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "winnow:  $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet HEAD -- src include 2>/dev/null || echo ' (src/ or include/ modified)'); optuna: $($python -c 'import optuna; print(optuna.__version__)')"
echo

echo "running Winnow:  $winnow_bench --storage $storage --trials $trials --repeat $repeat --json" >&2
start=$SECONDS
"$winnow_bench" --storage "$storage" --trials "$trials" --repeat "$repeat" --json >"$out/winnow.jsonl"
echo "  done in $((SECONDS - start)) s" >&2
echo "running Optuna:  $python $root/bench/optuna_overhead.py --storage $storage --trials $trials --repeat $repeat ${optuna_args[*]} --json" >&2
start=$SECONDS
$python "$root/bench/optuna_overhead.py" --storage "$storage" --trials "$trials" --repeat "$repeat" \
  ${optuna_args[@]+"${optuna_args[@]}"} --json >"$out/optuna.jsonl"
echo "  done in $((SECONDS - start)) s" >&2

$python - "$out/winnow.jsonl" "$out/optuna.jsonl" <<'EOF'
import json
import sys

TARGET = 100.0  # Optuna time / Winnow time


def load(path):
    with open(path) as f:
        return {(r["storage"], r.get("requested_trials", r["trials"])): r
                for r in map(json.loads, f) if r}


winnow, optuna = load(sys.argv[1]), load(sys.argv[2])
rows = []  # (storage, what, winnow us, optuna us, note)
for key in sorted(winnow, key=lambda k: (k[0] != "memory", k[1])):
    storage, requested = key
    w, o = winnow[key], optuna.get(key)
    if o is None:
        continue
    note = ""
    if o["trials"] != requested:
        why = "time limit" if "time-limit" in o.get("note", "") else "cap"
        note = "Optuna: only %d trials (%s); ratio vs. Winnow's %d" % (o["trials"], why, requested)
    rows.append((storage, "%d trials, mean" % requested, w["mean_us"], o["mean_us"], note))
    if "first1k_us" in w and "first1k_us" in o:
        rows.append((storage, "  first 1,000", w["first1k_us"], o["first1k_us"], ""))
        window_note = ""
        if o["trials"] != w["trials"]:
            window_note = "Winnow: trials %d-%d, Optuna: trials %d-%d" % (
                w["trials"] - 1000, w["trials"] - 1, o["trials"] - 1000, o["trials"] - 1)
        rows.append((storage, "  last 1,000", w["last1k_us"], o["last1k_us"], window_note))

runs = max(r.get("runs", 1) for r in list(winnow.values()) + list(optuna.values()))
if runs > 1:
    print("(each figure: the median of %d runs)" % runs)
print("%-7s %-22s %14s %14s %11s  %-6s %s" % (
    "storage", "measure", "winnow us", "optuna us", "ratio", ">=100x", "note"))
for storage, what, w_us, o_us, note in rows:
    ratio = o_us / w_us
    print("%-7s %-22s %14.2f %14.2f %10.1fx  %-6s %s" % (
        storage, what, w_us, o_us, ratio, "yes" if ratio >= TARGET else "NO", note))

print()
print("Winnow growth within its largest run (target: last 1,000 / first 1,000 <= 2):")
for storage in ("memory", "sqlite"):
    runs = [r for (s, _), r in winnow.items() if s == storage and "first1k_us" in r]
    if not runs:
        continue
    r = max(runs, key=lambda r: r["trials"])
    growth = r["last1k_us"] / r["first1k_us"]
    print("  %-7s %7d trials: first 1k %.2f us, last 1k %.2f us, x%.2f  %s" % (
        storage, r["trials"], r["first1k_us"], r["last1k_us"], growth,
        "met" if growth <= 2 else "NOT met"))
EOF
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
