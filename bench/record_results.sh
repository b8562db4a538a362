#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# Runs a benchmark program that prints JSON lines (--json) and appends each line to a results
# file with where it came from: the commit of the working tree (with "+dirty" when it has
# uncommitted changes), the command, the machine (CPU model, cores, kernel) and the date. The
# figures stay as the program printed them.
#
#   bench/record_results.sh bench/results/ask_time.jsonl -- \
#       build/bench/ask_time --samplers tpe --n 1000,10000,100000 --json
#
# The command runs from the repository's root; the lines are also echoed to stdout. When the
# program was built from another commit (an older build kept for comparison), say which with
# RESULTS_COMMIT=<commit>.
set -euo pipefail

if [[ $# -lt 3 || $2 != -- ]]; then
  echo "usage: $0 RESULTS.jsonl -- COMMAND [ARGS...]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
shift 2
[[ $out = /* ]] || out=$PWD/$out
cd "$root"

if [[ -n ${RESULTS_COMMIT:-} ]]; then
  commit=$(git rev-parse --short=12 "$RESULTS_COMMIT")
else
  commit=$(git rev-parse --short=12 HEAD)
  # Results files written by earlier runs of a session do not make the measured code dirty.
  if ! git diff --quiet HEAD -- . ':!bench/results' 2>/dev/null; then commit="$commit+dirty"; fi
fi
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
machine="$cpu, $(nproc --all) cores, $(uname -sr)"
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
command="$*"

mkdir -p "$(dirname "$out")"
"$@" | while IFS= read -r line; do
  [[ $line == \{* ]] || { echo "$line"; continue; }
  jq -c --arg commit "$commit" --arg command "$command" --arg machine "$machine" \
     --arg date "$date" '{commit: $commit, command: $command, machine: $machine, date: $date} + .' \
     <<<"$line" | tee -a "$out"
done
