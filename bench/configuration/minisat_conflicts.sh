#!/usr/bin/env bash
# Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
#
# The target of the sat-conflicts scenario: runs minisat with the given arguments and prints, as
# its last line, the number of conflicts it needed: a cost that does not depend on the machine
# or its load, unlike the run time. Exit status 0 when minisat answered (SAT or UNSAT), 1 when it
# could not run or printed no statistics.
#
#   bench/configuration/minisat_conflicts.sh -var-decay=0.9 -rnd-seed=7 instance.cnf
#
# A run that has not answered after MINISAT_CONFLICTS_CPU_LIMIT seconds of CPU (default 10;
# minisat with its defaults needs under 3 s on every benchmark instance) is stopped by minisat's
# own -cpu-lim and costs 10 x the conflicts so far, a PAR10 on conflicts, so that a hopeless
# configuration costs a large finite number in both irace and Winnow rather than a failure.
set -uo pipefail
limit=${MINISAT_CONFLICTS_CPU_LIMIT:-10}
output=$(minisat -cpu-lim="$limit" "$@" 2>&1)
status=$?
conflicts=$(awk '$1 == "conflicts" && $2 == ":" {print $3}' <<<"$output" | tail -n 1)
if [[ -z $conflicts ]]; then
  tail -n 5 <<<"$output" >&2
  echo "minisat_conflicts.sh: minisat (exit status $status) printed no conflict count" >&2
  exit 1
fi
case $status in
  10|20) echo "$conflicts" ;;
  *) echo "minisat_conflicts.sh: no answer within ${limit} s of CPU: 10 x $conflicts conflicts" >&2
     echo $((10 * conflicts)) ;;
esac
