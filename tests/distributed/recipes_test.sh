#!/usr/bin/env bash
# Runs the launch recipes of examples/distributed/ against a PostgreSQL server, each on a study
# of its own, and checks what docs/distributed.md promises of them: the workers the recipe starts
# share the study and stop when it is done, with exactly its trial budget, every trial complete,
# run once, and no configuration twice.
#
#   recipes_test.sh WINNOW POSTGRES_DIR
#     WINNOW        the winnow binary
#     POSTGRES_DIR  a server started by tests/postgres/server.sh (its URL is in POSTGRES_DIR/url)
#
# The recipes run here on one machine: the Slurm script is run by bash as four array tasks at
# once, mpirun starts its ranks locally, and ssh is replaced by a stand-in that runs the remote
# command with `sh -c` as a remote shell would. That exercises the scripts' quoting, arguments,
# environment and exit statuses, not Slurm, a cluster's MPI set-up or sshd.
set -euo pipefail

if (($# != 2)); then
  echo "usage: $0 WINNOW POSTGRES_DIR" >&2
  exit 2
fi
winnow=$(realpath -- "$1")
postgres_dir=$2
[[ -x $winnow ]] || { echo "$0: $winnow is not an executable" >&2; exit 2; }
[[ -f $postgres_dir/url ]] || { echo "$0: no $postgres_dir/url; start the server first" >&2; exit 2; }

repo=$(cd "$(dirname "$0")/../.." && pwd)
examples=$repo/examples/distributed
url=$(<"$postgres_dir/url")
psql=$(command -v psql || echo /usr/lib/postgresql/15/bin/psql)
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3)
readonly trials=24

scratch=$(mktemp -d)
# A schema of its own, so that this test neither sees nor leaves tables beside other tests'.
schema=winnow_recipes_$$_$RANDOM
storage="$url?options=-csearch_path%3D$schema"

sql() {
  "$psql" -X -q -t -A -v ON_ERROR_STOP=1 -d "$url" -c "$1"
}

cleanup() {
  sql "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf -- "$scratch"
}
trap cleanup EXIT
sql "CREATE SCHEMA $schema" >/dev/null

# Stand-ins that record what the recipes start, for the checks below. The winnow wrapper notes
# each worker process; python3 (first on PATH, which the workers and their objectives inherit)
# notes which worker runs which trial.
mkdir "$scratch/bin"
cat >"$scratch/bin/winnow" <<EOF
#!/bin/sh
echo "\$\$ \$*" >>"\$RECIPES_WORKER_LOG"
export RECIPES_WORKER_PID=\$\$
exec $(printf '%q' "$winnow") "\$@"
EOF
# Real trials take a while; without the pause a worker that starts first could finish the study
# before the others have connected, and the test could not tell that they share it.
cat >"$scratch/bin/python3" <<EOF
#!/bin/sh
if [ -n "\${WINNOW_TRIAL:-}" ] && [ -n "\${RECIPES_TRIAL_LOG:-}" ]; then
  echo "\${RECIPES_WORKER_PID:-none} \$WINNOW_TRIAL" >>"\$RECIPES_TRIAL_LOG"
  sleep 0.3
fi
exec $(printf '%q' "$python") "\$@"
EOF
# ssh as a remote shell would see it: ssh joins its arguments with spaces for the remote shell.
cat >"$scratch/bin/fake-ssh" <<'EOF'
#!/bin/sh
host=$1
shift
echo "$host" >>"$RECIPES_SSH_LOG"
if [ "$host" = unreachable ]; then
  echo "ssh: connect to host $host port 22: Connection refused" >&2
  exit 255
fi
exec sh -c "$*"
EOF
chmod +x "$scratch/bin/winnow" "$scratch/bin/python3" "$scratch/bin/fake-ssh"
export PATH="$scratch/bin:$PATH"
export WINNOW="$scratch/bin/winnow"

# Writes a copy of the example study named $2 to $1: the objective found from anywhere, and a
# budget of its own.
write_study() {
  "$python" - "$examples/study.toml" "$1" "$2" "$repo/examples/quickstart/objective.py" "$trials" <<'EOF'
import json, sys
source, target, name, objective, trials = sys.argv[1:]
text = open(source).read()
for old, new in [('name = "distributed"', "name = " + json.dumps(name)),
                 ('"../quickstart/objective.py"', json.dumps(objective)),
                 ("trials = 40", "trials = " + trials)]:
    if text.count(old) != 1:
        sys.exit(f"{source}: expected '{old}' once")
    text = text.replace(old, new)
open(target, "w").write(text)
EOF
}

# Creates study $1 for recipe $2 the documented way (`winnow run` stores its definition), with one
# trial, so that the workers have the rest to do.
create_study() {
  local name=$1 recipe=$2
  write_study "$scratch/$recipe.toml" "$name"
  RECIPES_WORKER_LOG=/dev/null RECIPES_TRIAL_LOG="" \
    "$winnow" run "$scratch/$recipe.toml" --storage "$storage" --trials 1 -q \
    >"$scratch/$recipe-create.log" 2>&1
}

# Checks study $1 after recipe $2, which should have started $3 workers; prints why not.
check_study() {
  local name=$1 recipe=$2 workers=$3
  "$winnow" export --storage "$storage" --study "$name" --format jsonl >"$scratch/$recipe.jsonl"
  "$python" - "$scratch/$recipe.jsonl" "$scratch/$recipe-workers.log" "$scratch/$recipe-trials.log" \
    "$trials" "$workers" <<'EOF'
import json, sys
export, worker_log, trial_log, trials, workers = sys.argv[1:]
trials, workers = int(trials), int(workers)
rows = [json.loads(line) for line in open(export) if line.strip()]
problems = []
if sorted(r["number"] for r in rows) != list(range(trials)):
    problems.append(f"trial numbers {sorted(r['number'] for r in rows)}, expected 0..{trials - 1}")
states = sorted({r["state"] for r in rows})
if states != ["complete"]:
    problems.append(f"trial states {states}, expected only complete")
configs = [json.dumps(r["params"], sort_keys=True) for r in rows]
if len(set(configs)) != len(configs):
    problems.append(f"{len(configs) - len(set(configs))} configuration(s) evaluated twice")
started = [line.split()[0] for line in open(worker_log) if line.strip()]
if len(started) != workers:
    problems.append(f"{len(started)} worker(s) started, expected {workers}")
# The trial made by `winnow run` (number 0) ran outside the recipe.
ran = [line.split() for line in open(trial_log) if line.strip()]
numbers = sorted(int(number) for _, number in ran)
if numbers != list(range(1, trials)):
    problems.append(f"the workers ran trials {numbers}, expected 1..{trials - 1} once each")
sharing = {pid for pid, _ in ran}
if not sharing <= set(started):
    problems.append(f"trials run by processes the recipe did not start: {sorted(sharing - set(started))}")
if len(sharing) < 2:
    problems.append(f"{len(sharing)} worker(s) ran trials, expected several")
if problems:
    print("; ".join(problems))
    sys.exit(1)
print(f"{trials} trials complete, distinct configurations, {len(started)} workers started, "
      f"{len(sharing)} ran trials")
EOF
}

failures=0
# Runs recipe $1 (a function) on study $2, expecting $3 workers; prints PASS or FAIL.
run_recipe() {
  local recipe=$1 name=$2 workers=$3 summary
  export RECIPES_WORKER_LOG="$scratch/$recipe-workers.log" RECIPES_TRIAL_LOG="$scratch/$recipe-trials.log"
  : >"$RECIPES_WORKER_LOG"
  : >"$RECIPES_TRIAL_LOG"
  if ! create_study "$name" "$recipe"; then
    echo "FAIL $recipe: could not create study '$name':"
    tail -n 20 "$scratch/$recipe-create.log"
    failures=$((failures + 1))
    return
  fi
  if ! "recipe_$recipe" "$name" >"$scratch/$recipe.log" 2>&1; then
    echo "FAIL $recipe: the recipe failed:"
    tail -n 30 "$scratch/$recipe.log"
    failures=$((failures + 1))
    return
  fi
  if summary=$(check_study "$name" "$recipe" "$workers"); then
    echo "PASS $recipe: $summary"
  else
    echo "FAIL $recipe: $summary"
    tail -n 30 "$scratch/$recipe.log"
    failures=$((failures + 1))
  fi
}

# Slurm: four array tasks of two CPUs each, at once, as sbatch would run the script.
recipe_slurm() {
  local study=$1 task pids=() status=0
  for task in 0 1 2 3; do
    WINNOW_STORAGE=$storage WINNOW_STUDY=$study SLURM_ARRAY_TASK_ID=$task SLURM_CPUS_PER_TASK=2 \
      bash "$examples/slurm_workers.sbatch" --trials "$trials" --quiet &
    pids+=($!)
  done
  for task in "${!pids[@]}"; do
    wait "${pids[$task]}" || { echo "array task $task failed"; status=1; }
  done
  return "$status"
}

# MPI: three local ranks; more ranks than cores needs Open MPI's permission to oversubscribe.
recipe_mpi() {
  OMPI_MCA_rmaps_base_oversubscribe=1 WINNOW_JOBS=2 \
    bash "$examples/mpi_workers.sh" 3 "$storage" "$1" --trials "$trials" --quiet
}

# ssh: three hosts, all this machine, with a comment and a blank line to skip.
recipe_ssh() {
  printf '# workers\nlocalhost\n\nlocalhost  # a comment after a host\nlocalhost\n' >"$scratch/hosts"
  export RECIPES_SSH_LOG="$scratch/ssh-hosts.log"
  WINNOW_SSH="$scratch/bin/fake-ssh" \
    bash "$examples/ssh_workers.sh" "$scratch/hosts" "$storage" "$1" --jobs 2 --trials "$trials" --quiet
}

run_recipe slurm "recipes slurm" 4
run_recipe mpi "recipes mpi" 3
# A name with spaces, a $ and quotes: the remote shell must get it back as one word.
run_recipe ssh "recipes ssh \$HOME 'x'" 3

# The tables went into the test's schema, as the URL's search_path asks.
tables=$(sql "SELECT count(*) FROM information_schema.tables
              WHERE table_schema = '$schema' AND table_name LIKE 'winnow\_%'")
if ((tables > 0)); then
  echo "PASS search_path: $tables winnow_* table(s) in schema $schema"
else
  echo "FAIL search_path: no winnow_* table in schema $schema"
  failures=$((failures + 1))
fi

# ssh_workers.sh fails when one host's worker fails, and says which.
printf 'localhost\nunreachable\n' >"$scratch/hosts"
RECIPES_WORKER_LOG=/dev/null RECIPES_TRIAL_LOG="" RECIPES_SSH_LOG=/dev/null \
  WINNOW_SSH="$scratch/bin/fake-ssh" \
  bash "$examples/ssh_workers.sh" "$scratch/hosts" "$storage" "recipes mpi" --quiet \
  >"$scratch/ssh-failure.log" 2>&1 && status=0 || status=$?
if ((status != 0)) && grep -q "unreachable failed" "$scratch/ssh-failure.log"; then
  echo "PASS ssh failure: exit status $status, the failed host named"
else
  echo "FAIL ssh failure: exit status $status; output:"
  cat "$scratch/ssh-failure.log"
  failures=$((failures + 1))
fi

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
