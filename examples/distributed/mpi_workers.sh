#!/usr/bin/env bash
# N Winnow workers started by Open MPI's mpirun, one per rank. The workers do not talk MPI: they
# share the study through its storage, and mpirun only places and starts them (on the hosts of
# a --hostfile, or of the batch allocation mpirun runs in) and waits for them all.
#
#   mpi_workers.sh N STORAGE_URL STUDY [WORKER_ARGS...]
#   mpi_workers.sh 16 postgresql://me@db-host/winnow distributed
#   MPIRUN_ARGS="--hostfile hosts --map-by node" mpi_workers.sh 4 postgresql://me@db-host/winnow distributed
#
# Create the study first: winnow run examples/distributed/study.toml --storage STORAGE_URL
# WORKER_ARGS go to every worker (`--timeout 2h`, `--trials 200`).
#
#   WINNOW       the winnow binary on the ranks' hosts (default: `winnow` on their PATH)
#   WINNOW_JOBS  trials each rank runs at once (default 1: a rank is one slot, usually a core)
#   MPIRUN       the mpirun command (default: mpirun)
#   MPIRUN_ARGS  extra mpirun options, split on spaces
# mpirun forwards only some environment variables to other hosts, so give the workers their
# database password through ~/.pgpass there (or `-x PGPASSWORD` in MPIRUN_ARGS), never through
# the command line.
set -euo pipefail

if (($# < 3)); then
  echo "usage: $0 N STORAGE_URL STUDY [WORKER_ARGS...]" >&2
  exit 2
fi
ranks=$1 storage=$2 study=$3
shift 3
[[ $ranks =~ ^[1-9][0-9]*$ ]] || { echo "$0: N must be a positive integer, not '$ranks'" >&2; exit 2; }

mpirun_args=()
# Open MPI refuses to start as root unless told to: a mistaken root launch across a cluster can do
# great harm. Containers often run everything as root, so allow it there and only there.
if [[ $(id -u) -eq 0 ]]; then
  mpirun_args+=(--allow-run-as-root)
fi
# shellcheck disable=SC2206  # MPIRUN_ARGS is a list of options, split on purpose.
mpirun_args+=(${MPIRUN_ARGS:-})

exec "${MPIRUN:-mpirun}" "${mpirun_args[@]}" -n "$ranks" \
  "${WINNOW:-winnow}" worker --storage "$storage" --study "$study" \
  --jobs "${WINNOW_JOBS:-1}" "$@"
