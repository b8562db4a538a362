#!/usr/bin/env bash
# One Winnow worker on each host of a list, over ssh, for machines without a batch scheduler.
# Waits for them all; exits 0 only if every worker did (a worker exits 0 once the study has all
# its trials).
#
#   ssh_workers.sh HOSTS_FILE STORAGE_URL STUDY [WORKER_ARGS...]
#   ssh_workers.sh hosts.txt postgresql://me@db-host/winnow distributed --jobs 8
#
# HOSTS_FILE: one host (anything ssh accepts: `gpu3`, `me@gpu3`) per line; blank lines and lines
# starting with # are skipped. A host listed twice gets two workers.
# Create the study first: winnow run examples/distributed/study.toml --storage STORAGE_URL
# WORKER_ARGS go to every worker (`--jobs 8`, `--timeout 2h`).
#
#   WINNOW      the winnow binary on the remote hosts (default: `winnow`; a non-interactive ssh
#               session may have a short PATH, so an absolute path is safer)
#   WINNOW_SSH  the ssh command, split on spaces (default: ssh), for site options:
#               WINNOW_SSH="ssh -o BatchMode=yes -o ConnectTimeout=10"
# Each worker's output goes to this script's output, prefixed with its host. The database
# password comes from ~/.pgpass on each host, never from the command line. Stopping this script
# ends the ssh sessions but not necessarily the remote workers: stop those with SIGTERM on their
# hosts (they record their running trials as interrupted).
set -euo pipefail

if (($# < 3)); then
  echo "usage: $0 HOSTS_FILE STORAGE_URL STUDY [WORKER_ARGS...]" >&2
  exit 2
fi
hosts_file=$1 storage=$2 study=$3
shift 3

hosts=()
while IFS= read -r line || [[ -n $line ]]; do
  read -r host _ <<<"${line%%#*}"   # the first word, without comments and blanks
  if [[ -n $host ]]; then
    hosts+=("$host")
  fi
done <"$hosts_file"
((${#hosts[@]} > 0)) || { echo "$0: no hosts in $hosts_file" >&2; exit 2; }

# ssh joins its arguments with spaces and hands them to the remote user's shell, which splits
# them again: quote every word so that a URL's ? and & (or anything else) arrive as they are.
remote_command=$(printf '%q ' "${WINNOW:-winnow}" worker --storage "$storage" --study "$study" "$@")
# shellcheck disable=SC2206  # WINNOW_SSH is a command with options, split on purpose.
ssh_command=(${WINNOW_SSH:-ssh})

# Prefixes each line of its input with the host's name, so that interleaved output can be told
# apart.
label() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    printf '[%s] %s\n' "$1" "$line"
  done
}

pids=()
for host in "${hosts[@]}"; do
  # stdin from /dev/null: ssh would otherwise read the terminal (or whatever feeds this script).
  # The subshell's status is ssh's (pipefail), which is the remote worker's.
  ("${ssh_command[@]}" "$host" "$remote_command" </dev/null 2>&1 | label "$host") &
  pids+=($!)
done

failed=0
for i in "${!hosts[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "$0: the worker on ${hosts[$i]} failed" >&2
    failed=$((failed + 1))
  fi
done
if ((failed > 0)); then
  echo "$0: $failed of ${#hosts[@]} worker(s) failed" >&2
  exit 1
fi
